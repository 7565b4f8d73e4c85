/**
 * `gradlab class`: a whole class in one run, every student folder listed (graded or refused with
 * the reason), names made inert in the terminal and the CSV, each student bounded on their own.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradlab as run } from './cli-harness';
import { findStudents } from '../grader/class/students';
import { ROOT } from '../grader/paths';
import { backstopMs, exerciseBudgetMs, gradeSubmissions, MAX_TIMER_MS, STUDENT_WAIT_MS } from '../grader/runner';
import { MAX_RECORD_FILE_BYTES, readRecord, recordFileName, writeRecord, type StudentRecord } from '../grader/class/record';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-class-'));
const cls = path.join(tmp, 'class');
/** A gradebook without its last two columns (when graded, by which grader: checked in class-runs.test.ts). */
const unstamped = (csvText: string) => csvText.replace(/,graded_at,grader$/m, '').replace(/,\d{4}-\d\d-\d\dT[\d:.]+Z,\d+\.\d+\.\d+ \([^)\n]*\)$/gm, '');
const solution = (rel: string) => readFileSync(path.join(ROOT, 'solutions', rel), 'utf8');

/** A student folder holding only the reference 05-residual (enough to be graded on -e 05-residual). */
function residualOnly(name: string): void {
  cpSync(path.join(ROOT, 'solutions', '05-residual'), path.join(cls, name, '05-residual'), { recursive: true, dereference: true });
}

// names a student can give their folder to attack the TA's terminal or spreadsheet
const HOSTILE = {
  formula: '=HYPERLINK("x","y")',
  plus: '+1',
  minus: '-2',
  at: '@SUM(1)',
  tab: '\tTab',
  cr: '\rcr',
  ansi: 'ansi\u001b[2J\u001b[31m',
  newline: 'forged\nzed,100,100',
  bidi: 'bidi\u202egpj.exe',
  workflow: '::error::owned',
};

beforeAll(() => {
  // alice: the reference solutions; bob: a cloned repository (exercises/ inside) with the stubs;
  // "carol, jr": a ReLU′(0) = 1 mistake and a missing 05 file
  cpSync(path.join(ROOT, 'solutions'), path.join(cls, 'alice'), { recursive: true, dereference: true });
  cpSync(path.join(ROOT, 'exercises'), path.join(cls, 'bob', 'exercises'), { recursive: true });
  const carol = path.join(cls, 'carol, jr');
  cpSync(path.join(ROOT, 'solutions'), carol, { recursive: true, dereference: true });
  writeFileSync(path.join(carol, '01-activations', 'activations.ts'), solution('01-activations/activations.ts').replace('return x > 0 ? 1 : 0;', 'return x >= 0 ? 1 : 0;'));
  rmSync(path.join(carol, '05-residual'), { recursive: true });
  // refused, each for its own reason; none may be followed or dropped
  writeFileSync(path.join(cls, 'README.txt'), 'not a folder');
  symlinkSync(path.join(cls, 'alice'), path.join(cls, 'linked'));
  mkdirSync(path.join(cls, 'empty'));
  mkdirSync(path.join(cls, 'eve'));
  symlinkSync(path.join(cls, 'alice'), path.join(cls, 'eve', 'exercises')); // a clone whose exercises/ is a classmate's
  spawnSync('mkfifo', [path.join(cls, 'pipe')]);
  mkdirSync(path.join(cls, '.git')); // dot-entries are never students
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('gradlab class', () => {
  it('lists every entry of the class folder: graded from the folder or its exercises/, or refused with the reason', () => {
    expect(findStudents(cls).map((s) => [s.name, s.dir === undefined ? `refused: ${s.refused}` : path.relative(cls, s.dir)])).toEqual([
      ['README.txt', 'refused: is a file, not a folder (each student needs a folder shaped like exercises/)'],
      ['alice', 'alice'],
      ['bob', path.join('bob', 'exercises')],
      ['carol, jr', 'carol, jr'],
      ['empty', 'refused: is empty: the student submitted nothing'],
      ['eve', "refused: has an exercises/ that is a symbolic link (links are never followed: copy the student's files into a real folder)"],
      ['linked', "refused: is a symbolic link (links are never followed: copy the student's files into a real folder)"],
      ['pipe', 'refused: is not a folder (a special file)'],
    ]);
  });

  it('refuses a student folder it cannot read', () => {
    // root reads everything, so the check runs as an unprivileged user when the tests run as root
    const locked = path.join(tmp, 'locked-class');
    mkdirSync(path.join(locked, 'zoe'), { recursive: true });
    writeFileSync(path.join(locked, 'zoe', 'x.ts'), '');
    chmodSync(tmp, 0o755);
    chmodSync(path.join(locked, 'zoe'), 0o000);
    const script = `import { findStudents } from ${JSON.stringify(path.join(ROOT, 'dist', 'grader', 'class', 'students.js'))};\n` +
      `process.stdout.write(JSON.stringify(findStudents(${JSON.stringify(locked)})));`;
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const r = spawnSync(asUser[0] ?? process.execPath, [...asUser.slice(1), ...(asUser.length ? [process.execPath] : []), '--input-type=module', '-e', script], { encoding: 'utf8' });
    chmodSync(path.join(locked, 'zoe'), 0o755);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([{ name: 'zoe', refused: 'cannot be read (EACCES): give the grader read access to it' }]);
  });

  it('grades the class in one run and writes the gradebook (refused students listed) and per-student results', async () => {
    const gradebook = path.join(tmp, 'out', 'gradebook.csv');
    const results = path.join(tmp, 'out', 'results');
    const r = await run(['class', cls, '-e', '01-activations', '-e', '05-residual', '--gradebook', gradebook, '--results', results]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(unstamped(readFileSync(gradebook, 'utf8'))).toBe([
      'student,status,score,max_score,01-activations,05-residual,problems,sandbox',
      'README.txt,refused,0,25,0,0,"is a file, not a folder (each student needs a folder shaped like exercises/)",',
      'alice,graded,25,25,15,10,,whole',
      'bob,graded,0,25,0,0,"not started: 01, 05 (2 of 2 exercises)",whole',
      '"carol, jr",graded,13.5,25,13.5,0,05-residual: missing,whole',
      'empty,refused,0,25,0,0,is empty: the student submitted nothing,',
      "eve,refused,0,25,0,0,has an exercises/ that is a symbolic link (links are never followed: copy the student's files into a real folder),",
      "linked,refused,0,25,0,0,is a symbolic link (links are never followed: copy the student's files into a real folder),",
      'pipe,refused,0,25,0,0,is not a folder (a special file),',
      '',
    ].join('\n'));
    const carol = (JSON.parse(readFileSync(path.join(results, 'students', 'carol, jr.json'), 'utf8')) as StudentRecord).results;
    expect(carol.score).toBe(13.5);
    expect(carol.tests.find((t) => t.id === 'activations.reluGrad.grid')?.diagnosis?.id).toBe('relu-grad-at-zero');
    const linked = (JSON.parse(readFileSync(path.join(results, 'students', 'linked.json'), 'utf8')) as StudentRecord).results;
    expect(new Set(linked.tests.map((t) => `${t.status}: ${t.message}`))).toEqual(new Set([
      "error: not graded: the student folder is a symbolic link (links are never followed: copy the student's files into a real folder)",
    ]));
    expect(r.stdout).toContain('8 students (5 refused), mean of the 3 graded 12.83/25.');
    expect(r.stdout).toMatch(/\nalice\s+25\/25\s+15\s+10\n/);
    expect(r.stdout).toMatch(/\nlinked\s+0\/25\s+refused: is a symbolic link/);
  });

  it('grades students whose folder names are too long for a record file of that name, and reuses their records', async () => {
    // 245 ASCII characters, 80 CJK ones (240 bytes), one ending as only a shortened record name may,
    // and a plain one: a record file `<name>.json.<pid>.tmp` of the first two passes 255 bytes
    const long = 'b'.repeat(245);
    const cjk = '学'.repeat(80);
    const lookalike = `zed~${'0123456789abcdef'}`;
    const names = ['alice', long, lookalike, cjk];
    const folder = path.join(tmp, 'long-names');
    for (const name of names) cpSync(path.join(ROOT, 'solutions', '01-activations'), path.join(folder, name, '01-activations'), { recursive: true, dereference: true });
    const results = path.join(tmp, 'long-names-results');
    const first = await run(['class', folder, '-e', '01-activations', '--results', results]);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const gradebook = readFileSync(path.join(results, 'gradebook.csv'), 'utf8').split('\n').slice(1, -1).map((l) => l.split(',').slice(0, 3).join(','));
    expect(gradebook).toEqual([...names].sort().map((n) => `${n},graded,15`));
    const files = readdirSync(path.join(results, 'students')).sort();
    expect(files).toEqual([
      'alice.json',
      `${'b'.repeat(100)}~${sha256(long).slice(0, 16)}.json`,
      `${lookalike}~${sha256(lookalike).slice(0, 16)}.json`,
      `${'学'.repeat(33)}~${sha256(cjk).slice(0, 16)}.json`, // 33 × 3 bytes ≤ 100
    ].sort());
    for (const f of files) expect(Buffer.byteLength(f)).toBeLessThanOrEqual(MAX_RECORD_FILE_BYTES);
    expect(files.map((f) => (JSON.parse(readFileSync(path.join(results, 'students', f), 'utf8')) as StudentRecord).student).sort()).toEqual([...names].sort());
    expect(existsSync(path.join(results, 'report.html'))).toBe(true);
    // the next run finds every record by its name, and regrades no one
    const second = await run(['class', folder, '-e', '01-activations', '--results', results]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('graded 0, unchanged since their record 4.');
    expect(readdirSync(path.join(results, 'students')).sort()).toEqual(files);
    // a record file that holds another name's record is not that student's to reuse
    const aliceFile = path.join(results, 'students', 'alice.json');
    const alice = JSON.parse(readFileSync(aliceFile, 'utf8')) as StudentRecord;
    writeFileSync(aliceFile, JSON.stringify({ ...alice, student: 'mallory' }));
    expect(readRecord(results, 'alice')).toBeNull();
    writeFileSync(aliceFile, JSON.stringify(alice));
    expect(readRecord(results, 'alice')?.student).toBe('alice');
    // a record that cannot be written says which and what to do (here `students` is a file)
    const blocked = path.join(tmp, 'blocked-results');
    mkdirSync(blocked);
    writeFileSync(path.join(blocked, 'students'), '');
    expect(() => writeRecord(blocked, alice)).toThrow(/^could not write the record \S+\/students\/alice\.json \((ENOTDIR|EEXIST)\): make \S+\/students a folder you can write, or pass another --results folder, then run the same command again$/);
    // a name with escapes is shown as the terminal summary shows names
    expect(() => writeRecord(blocked, { ...alice, student: 'evil\u001b]0;pwned\u0007\u001b[2J' })).toThrow(/evil\\u001b\]0;pwned\\u0007\\u001b\[2J\.json/);
    // a look-alike of a shortened name in capitals is shortened too (a case-insensitive file system would make it one)
    expect(recordFileName(`${lookalike.toUpperCase()}`)).toBe(`${lookalike.toUpperCase()}~${sha256(lookalike.toUpperCase()).slice(0, 16)}.json`);
    expect(recordFileName('x'.repeat(195))).toBe(`${'x'.repeat(195)}.json`); // 200 bytes: kept as it is
    expect(recordFileName('x'.repeat(196))).toBe(`${'x'.repeat(100)}~${sha256('x'.repeat(196)).slice(0, 16)}.json`);
  });

  it('escapes hostile names in the terminal and neutralises them in the CSV (OWASP CSV injection)', async () => {
    const hostile = path.join(tmp, 'hostile');
    rmSync(hostile, { recursive: true, force: true });
    for (const name of Object.values(HOSTILE)) {
      cpSync(path.join(ROOT, 'solutions', '05-residual'), path.join(hostile, name, '05-residual'), { recursive: true, dereference: true });
    }
    const gradebook = path.join(tmp, 'hostile.csv');
    const r = await run(['class', hostile, '-e', '05-residual', '--gradebook', gradebook, '--results', path.join(tmp, 'hostile-results')]);
    expect(r.status).toBe(0);
    // hand-checked: sorted by code unit (\t, \r, '+', '-', ':', '=', '@', 'a', 'b', 'f'); text cells
    // that start with = + - @ tab CR get a leading ', cells with a quote, comma, line break or tab are quoted
    expect(unstamped(readFileSync(gradebook, 'utf8'))).toBe([
      'student,status,score,max_score,05-residual,problems,sandbox',
      "\"'\tTab\",graded,10,10,10,,whole",
      "\"'\rcr\",graded,10,10,10,,whole",
      "'+1,graded,10,10,10,,whole",
      "'-2,graded,10,10,10,,whole",
      '::error::owned,graded,10,10,10,,whole',
      '"\'=HYPERLINK(""x"",""y"")",graded,10,10,10,,whole',
      "'@SUM(1),graded,10,10,10,,whole",
      'ansi\u001b[2J\u001b[31m,graded,10,10,10,,whole',
      'bidi\u202egpj.exe,graded,10,10,10,,whole',
      '"forged\nzed,100,100",graded,10,10,10,,whole',
      '',
    ].join('\n'));
    // the terminal: one line per student, nothing that moves the cursor, recolours, reorders or forges a row
    const rows = r.stdout.split('\n').slice(1, 11);
    expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual([
      '\\u0009Tab', '\\u000dcr', '+1', '-2', '» ::error::owned', '=HYPERLINK("x","y")', '@SUM(1)',
      'ansi\\u001b[2J\\u001b[31m', 'bidi\\u202egpj.exe', 'forged\\u000azed,100,100',
    ]);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('10 students, mean of the 10 graded 10/10.');
  });

  it('bounds each student on their own: one whose calls each take just under the limit loses only their own tests', async () => {
    const naps = solution('05-residual/residual.ts').replace(/export function (\w+)\(/g, 'function real_$1(') +
      // two seconds of CPU a call, whatever the load (the budget counts CPU time, not wall time), user
      // and system time alike, as the limits count it: on a virtual machine where each cpuUsage() is a
      // costly system call (80 % system time here), 2 s of user time alone took 10 s of CPU and
      // the very first call went past the 5 s per-call limit, so the budget never spoke
      'function nap() { const t = process.cpuUsage(); for (;;) { const u = process.cpuUsage(t); if (u.user + u.system >= 2e6) return; } }\n' +
      ['residualForward', 'residualBackward'].map((n) => `export function ${n}(...args: any[]) { nap(); return (real_${n} as any)(...args); }\n`).join('');
    // with their own 01 and 02, which pass their tests: 05's calls of 02 run in the sandbox, so the
    // honest ones spend a fraction of a second whatever the load (through the oracle, 30,405 round
    // trips, their CPU grows with the machine's load: that is another test's, see own-functions)
    for (const name of ['zz-honest-1', 'zz-honest-2', 'zz-mallory']) {
      residualOnly(name);
      for (const ex of ['01-activations', '02-backprop']) cpSync(path.join(ROOT, 'solutions', ex), path.join(cls, name, ex), { recursive: true, dereference: true });
    }
    writeFileSync(path.join(cls, 'zz-mallory', '05-residual', 'residual.ts'), naps);
    const dirs = ['zz-mallory', 'zz-honest-1', 'zz-honest-2'].map((n) => path.join(cls, n));
    // 2 s of CPU a call against a 6 s budget: the third call starts at 4 s and ends at 6 s; no fourth
    // call (the wait budget is set out of the way: it has its own test below).
    const [mallory, honest1, honest2] = await gradeSubmissions(dirs, { exercises: ['05-residual'], exerciseBudgetMs: 6000, studentWaitMs: 600_000 });
    expect([honest1.score, honest2.score]).toEqual([10, 10]);
    // a batch of calls (callMany) can pass the per-call limit on its own; after that, the budget speaks
    const stopped = mallory.tests.filter((t) => t.status === 'timeout').map((t) => t.message);
    const budget = /^residual(Forward|Backward) is not called: the calls to 05-residual\/residual\.ts used up this exercise's time budget \(6 s of CPU in all\); make the slow function faster, then grade again$/;
    expect(stopped.filter((m) => budget.test(m)).length).toBeGreaterThan(0);
    for (const m of stopped) expect(m).toMatch(new RegExp(`${budget.source}|^residual(Forward|Backward) used 5 s of CPU without finishing \\(an infinite loop\\?\\)$`));
  });

  it('bounds a student whose calls wait instead of computing: a few seconds in each exercise, whichever worker grades it, then every call of it fails at once', async () => {
    // every call answers correctly, after 4 s of Atomics.wait (no CPU): correct code never waits
    const sleepy = (rel: string) => solution(rel).replace(/export function (\w+)\(/g, 'function real_$1(') +
      'function nap() { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4000); }\n' +
      [...solution(rel).matchAll(/export function (\w+)\(/g)].map(([, n]) => `export function ${n}(...args: any[]) { nap(); return (real_${n} as any)(...args); }\n`).join('');
    for (const name of ['aa-sleeper', 'zz-honest-3']) {
      for (const ex of ['04-batchnorm', '05-residual']) cpSync(path.join(ROOT, 'solutions', ex), path.join(cls, name, ex), { recursive: true, dereference: true });
    }
    for (const rel of ['04-batchnorm/batchnorm.ts', '05-residual/residual.ts']) writeFileSync(path.join(cls, 'aa-sleeper', rel), sleepy(rel));
    // the default budget: STUDENT_WAIT_MS (3 s) per exercise, whichever worker grades it: one worker
    // takes both exercises here, where a budget per worker (as it once was) let only one call wait
    const [sleeper, honest] = await gradeSubmissions([path.join(cls, 'aa-sleeper'), path.join(cls, 'zz-honest-3')], { exercises: ['04-batchnorm', '05-residual'], maxWorkers: 1 });
    expect([honest.score, honest.maxScore]).toEqual([25, 25]);
    expect(STUDENT_WAIT_MS).toBe(3000);
    expect(sleeper.tests.every((t) => t.status === 'timeout')).toBe(true);
    // exactly one call per exercise waited, until its budget was spent; every other call was refused at once
    const waited = sleeper.tests.filter((t) => /did not finish: it waited/.test(t.message));
    expect(waited.map((t) => t.exercise).sort()).toEqual(['04-batchnorm', '05-residual']);
    for (const t of waited) expect(t.message).toMatch(/^\w+ did not finish: it waited 3 s without computing, the most this exercise's code may still wait \(3 s in all; correct code never waits\), using [0-9.]+ s of CPU \(does it wait for something that never comes\?\)$/);
    for (const t of sleeper.tests.filter((x) => !waited.includes(x))) {
      expect(t.message).toMatch(/^(\w+|import) is not called: this exercise's code has already waited 3 s without computing, the most an exercise may wait in all \(correct code never waits: look for Atomics\.wait, timers or promises that never settle\)$/);
    }
  });

  it('gives each exercise 30 s of CPU (6 per-call limits when those are raised), and backs the run up with the sum per worker', () => {
    expect([exerciseBudgetMs(5000), exerciseBudgetMs(1000), exerciseBudgetMs(10_000)]).toEqual([30_000, 30_000, 60_000]);
    // 12 pairs on 2 workers: 6 in turn, each its wait cap + one more call at its idle backstop + a minute of grader work, plus 2 minutes
    expect(backstopMs(12, 2, 300_000, 50_000)).toBe(120_000 + 6 * 410_000);
    expect(backstopMs(13, 2, 300_000, 50_000)).toBe(120_000 + 7 * 410_000);
    // 3000 students of seven exercises in one run would get 4.3e9 ms: capped at the longest delay a
    // Node timer keeps (a longer one fires at once and would stop the run before it began)
    expect(backstopMs(7000, 2, 300_000, 50_000)).toBe(120_000 + 3500 * 410_000);
    expect(backstopMs(21_000, 2, 300_000, 50_000)).toBe(2 ** 31 - 1);
    expect(MAX_TIMER_MS).toBe(2147483647);
  });

  it('says what to do with a missing or empty class folder and bad arguments', async () => {
    expect(await run(['class', path.join(tmp, 'nope')])).toEqual({ status: 2, stdout: '', stderr: `gradlab: the class folder '${path.join(tmp, 'nope')}' does not exist or is not a readable folder: pass a folder with one sub-folder per student\n` });
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    expect((await run(['class', empty])).stderr).toBe(`gradlab: '${empty}' has no sub-folders: put one folder per student in it (each shaped like exercises/)\n`);
    expect((await run(['class'])).stderr).toBe('gradlab: class takes one folder (one sub-folder per student), got 0. See `gradlab class --help`.\n');
    expect((await run(['class', cls, '-e', 'zz'])).status).toBe(2);
    expect((await run(['class', cls, '--timeout', '5'])).stderr).toBe("gradlab: --timeout must be a number of milliseconds ≥ 100, got '5'\n");
    expect((await run(['class', '--help'])).stdout).toMatch(/^Usage: gradlab class <folder>/);
  });
});
