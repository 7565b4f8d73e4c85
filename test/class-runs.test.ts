/**
 * Class runs TAs repeat: shards merged equal one run (byte for byte but timings), and incremental
 * regrading grades exactly the students whose graded files or grader changed.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gradlab as run } from './cli-harness';
import { shardOf } from '../grader/commands/class';
import { ROOT } from '../grader/paths';

// what each run asked the runner for (--workers), the runner itself unchanged
vi.mock('../grader/runner', async (original) => {
  const runner = await original<typeof import('../grader/runner')>();
  return { ...runner, gradeSubmissions: vi.fn(runner.gradeSubmissions) };
});
const { gradeSubmissions } = await import('../grader/runner');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'gradlab-class-runs-'));
const cls = path.join(tmp, 'class');
const EX = ['-e', '01-activations', '-e', '05-residual'];
const one = path.join(tmp, 'one');

beforeAll(() => {
  cpSync(path.join(ROOT, 'solutions'), path.join(cls, 'alice'), { recursive: true, dereference: true });
  cpSync(path.join(ROOT, 'exercises'), path.join(cls, 'bob', 'exercises'), { recursive: true });
  cpSync(path.join(ROOT, 'solutions'), path.join(cls, 'carol'), { recursive: true, dereference: true });
  const act = path.join(cls, 'carol', '01-activations', 'activations.ts');
  writeFileSync(act, readFileSync(act, 'utf8').replace('return x > 0 ? 1 : 0;', 'return x >= 0 ? 1 : 0;'));
  symlinkSync(path.join(cls, 'alice'), path.join(cls, 'dave'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A results folder's files with the timings (when graded, how long) blanked. */
function withoutTimings(dir: string): Record<string, string> {
  const files: Record<string, string> = {
    'gradebook.csv': readFileSync(path.join(dir, 'gradebook.csv'), 'utf8').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'TIME'),
  };
  for (const f of readdirSync(path.join(dir, 'students')).sort()) {
    files[`students/${f}`] = readFileSync(path.join(dir, 'students', f), 'utf8')
      .replace(/"gradedAt": "[^"]+"/, '"gradedAt": "TIME"').replace(/"durationMs": \d+/, '"durationMs": 0');
  }
  return files;
}

const gradedAt = (dir: string, student: string) => (JSON.parse(readFileSync(path.join(dir, 'students', `${student}.json`), 'utf8')) as { gradedAt: string }).gradedAt;

describe('class runs', () => {
  it('assigns students to shards by sha256 of the name (computed independently: alice 2, bob 1, carol 2, dave 2 of 2)', () => {
    expect(['alice', 'bob', 'carol', 'dave'].map((n) => shardOf(n, 2))).toEqual([2, 1, 2, 2]);
    for (const n of ['alice', 'bob', 'zoë', '=x']) expect(shardOf(n, 1)).toBe(1);
  });

  it('N shards merged equal one run, byte for byte but the timings', async () => {
    const [s1, s2, merged] = ['s1', 's2', 'merged'].map((d) => path.join(tmp, d));
    expect((await run(['class', cls, ...EX, '--results', one])).status).toBe(0);
    const r1 = await run(['class', cls, ...EX, '--results', s1, '--shard', '1/2']);
    expect(r1.stdout).toContain('Shard 1/2: 1 of 4 students; graded 1, unchanged since their record 0.');
    expect((await run(['class', cls, ...EX, '--results', s2, '--shard', '2/2'])).status).toBe(0);
    expect(readdirSync(path.join(s1, 'students'))).toEqual(['bob.json']);
    expect(readdirSync(path.join(s2, 'students')).sort()).toEqual(['alice.json', 'carol.json', 'dave.json']);
    const m = await run(['merge', '--results', merged, s1, s2]);
    expect(m.stderr).toBe('');
    const single = withoutTimings(one);
    expect(Object.keys(single)).toEqual(['gradebook.csv', 'students/alice.json', 'students/bob.json', 'students/carol.json', 'students/dave.json']);
    expect(withoutTimings(merged)).toEqual(single);
    expect(single['gradebook.csv'].split('\n').map((l) => l.replace(/,TIME,.*$/, ''))).toEqual([
      'student,status,score,max_score,01-activations,05-residual,problems,sandbox,graded_at,grader',
      'alice,graded,25,25,15,10,,whole', 'bob,graded,0,25,0,0,"not started: 01, 05 (2 of 2 exercises)",whole', 'carol,graded,23.5,25,13.5,10,,whole',
      "dave,refused,0,25,0,0,is a symbolic link (links are never followed: copy the student's files into a real folder),", '',
    ]);
    expect(single['gradebook.csv']).toMatch(/,TIME,\d+\.\d+\.\d+ \((commit [0-9a-f]{12}|unknown commit)\)\n/);
  });

  it('--workers 1 and 3 grade exactly as the default 2, byte for byte but the timings; a --workers that is not 1-64 is refused', async () => {
    // `one` is the default run of the test above
    for (const n of [1, 3]) {
      const dir = path.join(tmp, `workers-${n}`);
      vi.mocked(gradeSubmissions).mockClear();
      expect((await run(['class', cls, ...EX, '--results', dir, '--workers', String(n)])).status).toBe(0);
      expect(vi.mocked(gradeSubmissions).mock.calls.map((c) => c[1]?.maxWorkers)).toEqual([n]);
      expect(withoutTimings(dir)).toEqual(withoutTimings(one));
    }
    for (const bad of ['0', '65', '1.5', 'two']) {
      for (const command of ['class', 'grade']) {
        const r = await run([command, command === 'class' ? cls : path.join(cls, 'alice'), '--workers', bad]);
        expect([r.status, r.stderr]).toEqual([2, `gradlab: --workers must be a whole number from 1 to 64 (how many exercises are graded at once; at most the machine's cores is useful), got '${bad}'\n`]);
      }
    }
  });

  it('regrades exactly the students whose graded files changed; --only regrades one', async () => {
    const before = Object.fromEntries(['alice', 'bob', 'carol'].map((s) => [s, gradedAt(one, s)]));
    const again = await run(['class', cls, ...EX, '--results', one]);
    expect(again.stdout).toContain('graded 0, unchanged since their record 3.');
    expect(['alice', 'bob', 'carol'].map((s) => gradedAt(one, s))).toEqual([before.alice, before.bob, before.carol]);

    // a file outside the graded exercises' folders is not read by grading: nothing to regrade
    writeFileSync(path.join(cls, 'carol', 'NOTES.md'), 'notes');
    appendFileSync(path.join(cls, 'carol', '03-initialization', 'init.ts'), '\n// not graded in this run\n');
    expect((await run(['class', cls, ...EX, '--results', one])).stdout).toContain('graded 0, unchanged since their record 3.');

    appendFileSync(path.join(cls, 'carol', '05-residual', 'residual.ts'), '\n// a change\n');
    const changed = await run(['class', cls, ...EX, '--results', one]);
    expect(changed.stdout).toContain('graded 1, unchanged since their record 2.');
    expect(gradedAt(one, 'carol')).not.toBe(before.carol);
    expect([gradedAt(one, 'alice'), gradedAt(one, 'bob')]).toEqual([before.alice, before.bob]);

    const only = await run(['class', cls, ...EX, '--results', one, '--only', 'alice']);
    expect(only.stdout).toContain('graded 1, unchanged since their record 2.');
    expect(gradedAt(one, 'alice')).not.toBe(before.alice);
    expect(gradedAt(one, 'bob')).toBe(before.bob);

    expect((await run(['class', cls, ...EX, '--results', one, '--only', 'nobody'])).stderr).toBe(`gradlab: --only nobody: no such student in '${cls}' (names are folder names)\n`);
    expect((await run(['class', cls, '--shard', '3/2'])).stderr).toBe("gradlab: --shard must be K/N with 1 ≤ K ≤ N, e.g. --shard 2/4; got '3/2'\n");
  });

  it('--only grades the students named and nobody else: one without a record is listed as not-graded, empty score, until a run without --only', async () => {
    const fresh = path.join(tmp, 'fresh');
    const next = `Next: \`gradlab class ${cls} --results ${fresh}\` grades everyone else whose record is missing or out of date.`;
    const only = await run(['class', cls, ...EX, '--results', fresh, '--only', 'alice']);
    expect(only.stderr).toBe('');
    expect(only.stdout).toContain('graded 1, unchanged since their record 0, not graded yet 2 (bob, carol).');
    expect(only.stdout).toContain(`\n--only graded only alice. ${next}\n`);
    expect(only.stdout).toMatch(/\nbob +–\/25  not graded yet\n/);
    expect(only.stdout).toContain('\n4 students (1 refused, 2 not graded yet), mean of the 1 graded 25/25.');
    const reason = `not graded yet (a --only run graded other students): grade them with \`gradlab class ${cls} --results ${fresh}\``;
    expect(withoutTimings(fresh)['gradebook.csv'].split('\n').map((l) => l.replace(/,TIME,.*$/, ''))).toEqual([
      'student,status,score,max_score,01-activations,05-residual,problems,sandbox,graded_at,grader',
      'alice,graded,25,25,15,10,,whole', `bob,not-graded,,25,,,${reason},`, `carol,not-graded,,25,,,${reason},`,
      "dave,refused,0,25,0,0,is a symbolic link (links are never followed: copy the student's files into a real folder),", '',
    ]);
    expect(readFileSync(path.join(fresh, 'report.md'), 'utf8')).toContain('4 students: 1 graded, 1 refused, 2 not graded yet. Mean 25/25, median 25/25.');
    // the LMS gets an empty cell (left ungraded), never a 0
    const roster = path.join(tmp, 'roster.csv');
    writeFileSync(roster, 'identifier,github_username,github_id,name\ns1,alice,1,Alice\ns2,bob,2,Bob\n');
    expect((await run(['lms', '--roster', roster, '--results', fresh, '--out', path.join(tmp, 'lms')])).status).toBe(0);
    expect(readFileSync(path.join(tmp, 'lms', 'canvas.csv'), 'utf8')).toBe('Student,ID,SIS User ID,SIS Login ID,Section,gradlab\nAlice,,s1,,,25\nBob,,s2,,,\n');
    const diff = await run(['diff', one, fresh]);
    expect(diff.stdout).toContain('\nbob: 0 → –/25 [graded → not-graded]\n');
    expect(diff.stdout).toContain('\ncarol: 23.5 → –/25 [graded → not-graded]\n');
    // merged with a full run, a placeholder never replaces a grade, however new
    const merged = path.join(tmp, 'merged-only');
    expect((await run(['merge', '--results', merged, one, fresh])).status).toBe(0);
    expect(readFileSync(path.join(merged, 'gradebook.csv'), 'utf8').split('\n').slice(1, 5).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      'alice,graded,25', 'bob,graded,0', 'carol,graded,23.5', 'dave,refused,0',
    ]);
    expect(gradedAt(merged, 'alice')).toBe(gradedAt(fresh, 'alice'));
    expect(gradedAt(merged, 'bob')).toBe(gradedAt(one, 'bob'));

    const all = await run(['class', cls, ...EX, '--results', fresh]);
    expect(all.stdout).toContain('graded 2, unchanged since their record 1.');
    expect(all.stdout).not.toContain('--only');
    // a record made for an older submission is kept by --only, and said so
    appendFileSync(path.join(cls, 'carol', '05-residual', 'residual.ts'), '\n// another change\n');
    const stale = await run(['class', cls, ...EX, '--results', fresh, '--only', 'alice']);
    expect(stale.stdout).toContain('graded 1, unchanged since their record 1, kept on a record of an older submission or grader 1 (carol).');
    expect(stale.stdout).toContain(`\n--only graded only alice. ${next}\n`);
  });

  it('refuses to grade fewer exercises into a folder graded on more (every student would shrink to them), and to merge such folders', async () => {
    const before = readFileSync(path.join(one, 'gradebook.csv'), 'utf8');
    const alone = `${one}-05-residual`;
    const r = await run(['class', cls, '-e', '05-residual', '--results', one]);
    expect(r).toEqual({ status: 2, stdout: '', stderr: `gradlab: '${one}' holds grades of 2 exercises (01-activations, 05-residual): grading only 05-residual into it would replace every student's grade by that exercise alone. ` +
      `Grade all of them into it (\`gradlab class ${cls} --results ${one}\` grades again only the students whose files or grader changed), or grade 05-residual into a folder of its own (\`gradlab class ${cls} -e 05-residual --results ${alone}\`)\n` });
    expect(readFileSync(path.join(one, 'gradebook.csv'), 'utf8')).toBe(before);
    // what the refusal proposes works, and merging its folder with the full one is refused in turn
    expect((await run(['class', cls, '-e', '05-residual', '--results', alone])).status).toBe(0);
    expect(readFileSync(path.join(alone, 'gradebook.csv'), 'utf8').split('\n')[1]).toMatch(/^alice,graded,10,10,10,,/);
    expect((await run(['diff', one, alone])).stdout).toMatch(/^Not comparable: OLD was graded on 01-activations, 05-residual and NEW on 05-residual; each score below is out of other exercises\.\nold: 4 students/);
    const m = await run(['merge', '--results', path.join(tmp, 'shrunk'), one, alone]);
    expect(m).toEqual({ status: 2, stdout: '', stderr: `gradlab: '${one}' holds exercises 01-activations, 05-residual but '${alone}' holds exercise 05-residual: merged, a student's newest record would replace their grade by another set of exercises. ` +
      'Merge folders graded on the same exercises (the shards of one run), or grade the class again on all the exercises.\n' });
  });

  it('writes nothing in the working directory when told where to write', async () => {
    const cwd = path.join(tmp, 'cwd');
    cpSync(path.join(ROOT, 'bench'), cwd, { recursive: true }); // any folder with files
    const listing = readdirSync(cwd).sort();
    const r = await run(['class', cls, ...EX, '--results', path.join(tmp, 'elsewhere'), '--gradebook', path.join(tmp, 'gb.csv')], {}, cwd);
    expect(r.status).toBe(0);
    expect(readdirSync(cwd).sort()).toEqual(listing);
    expect(readdirSync(path.join(tmp, 'elsewhere')).sort()).toEqual(['report.html', 'report.md', 'students']);
    expect(readFileSync(path.join(tmp, 'gb.csv'), 'utf8')).toMatch(/^student,status,score/);
  });
});
