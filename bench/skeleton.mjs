// Two lower bounds on one submission's wall time, for bench/class.mjs (docs/benchmarks.md, issue 21),
// built from the grader itself and one student's recorded calls (GRADLAB_RECORD_CALLS), replayed
// cold on the compiled reference solutions by bench/replay.mjs:
//
//   the grader without its verdicts   a copy of a tree whose seven hidden suites are each replaced by
//        ONE test that replays its exercise's recorded calls in a fresh process under the sandbox's
//        own wrapper (confinedNode: the same layers, heap cap and permission flags as a sandbox
//        child) and checks nothing. The rest is the grader's own: its start, the probe, the intake,
//        the compiler child, vitest and its two workers taking the pairs in GRADING_ORDER. What a
//        submission costs above this is its verdicts: the trusted side's answers, the codec,
//        the comparisons, the own-function checks, the messages.
//   the calls alone, from vitest   a bare `vitest run` (the vitest floor's) of one test that starts
//        the seven replays at once, each confined the same way, and waits for them. Nothing else:
//        no probe (this process probes once and hands its findings on, as the grader hands them to
//        its workers), no intake, no compiling, one worker, the operating system spreading the seven
//        processes over the cores. No grader whose hidden suites run in vitest and whose student
//        code runs in a fresh process per exercise can go below it.
//
// Both replay no more than the student's own calls: a sandbox child also decodes what it is sent
// and encodes what it returns, which these leave out, so both are lower bounds.
import { cpSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The replay of one exercise in a fresh, confined process: its command and arguments (a suite's body, as source). */
const replaySource = (root) => `
import { spawn } from 'node:child_process';
import { confinedNode } from ${JSON.stringify(pathToFileURL(path.join(root, 'dist', 'grader', 'sandbox', 'confine.js')).href)};

/** Replays \`module\`'s recorded \`calls\` in a fresh process under the sandbox's wrapper; rejects unless it exits 0. */
export function replayConfined(module, calls) {
  const files = [${JSON.stringify(path.join(root, 'bench', 'replay.mjs'))}, module, calls];
  const flags = ['--permission', ...files.map((f) => '--allow-fs-read=' + f), '--max-old-space-size=256', '--disable-wasm-trap-handler', '--no-warnings'];
  const { execPath, execArgv } = confinedNode(flags, 256, files);
  return new Promise((resolve, reject) => {
    const child = spawn(execPath, [...execArgv, ...files], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(\`replaying \${module} failed (\${code}): \${err}\`))));
  });
}
`;

/**
 * Prepares both under `dir` for the tree at `root` (built), with `recs`: one student's recorded
 * calls, `{ slug, module, calls }` per exercise (the compiled reference module and its .v8 file).
 * Returns what bench/class.mjs runs: `withoutVerdicts(out)` and `callsAlone()`, each
 * `{ args, env }` for `node`, and `check(out)`, which throws unless the run without verdicts
 * replayed every exercise.
 */
export async function prepareSkeletons(root, dir, recs) {
  const tree = path.join(dir, 'tree');
  // the tree as built, with its own node_modules linked: bin/, dist/, the manifest, the solutions
  for (const name of readdirSync(root)) {
    if (name === 'node_modules' || name === '.git') continue;
    cpSync(path.join(root, name), path.join(tree, name), { recursive: true });
  }
  symlinkSync(path.join(root, 'node_modules'), path.join(tree, 'node_modules'));
  writeFileSync(path.join(tree, 'bench', 'replay-confined.mjs'), replaySource(root));
  const manifest = JSON.parse(readFileSync(path.join(root, 'exercises', 'exercises.json'), 'utf8'));
  for (const ex of manifest.exercises) {
    const rec = recs.find((r) => r.slug === ex.slug);
    if (!rec) throw new Error(`no recorded calls of ${ex.slug}`);
    // one test, named as the exercise's first, marked passed as the harness marks a test
    writeFileSync(path.join(tree, 'grader', 'suites', `${ex.slug}.suite.ts`), `import { test } from 'vitest';
import { replayConfined } from '../../bench/replay-confined.mjs';

export default function (submission: number): void {
  test(${JSON.stringify(ex.tests[0].id)}, async (ctx) => {
    await replayConfined(${JSON.stringify(rec.module)}, ${JSON.stringify(rec.calls)});
    ctx.task.meta.gradlab = { status: 'passed', submission } as never;
  });
}
`);
  }
  // its own cache of transformed suites: in the shared one it would evict the tree's (module-cache.ts)
  const cache = path.join(dir, 'module-cache');
  mkdirSync(cache);

  const alone = path.join(dir, 'alone');
  mkdirSync(alone);
  writeFileSync(path.join(alone, 'package.json'), '{"type":"module"}\n');
  writeFileSync(path.join(alone, 'replay-confined.mjs'), replaySource(root));
  writeFileSync(path.join(alone, 'calls.test.mjs'), `import { test } from 'vitest';
import { replayConfined } from './replay-confined.mjs';

test('the seven exercises\\' calls, cold, at once', async () => {
  await Promise.all(${JSON.stringify(recs.map((r) => [r.module, r.calls]))}.map(([m, c]) => replayConfined(m, c)));
});
`);
  // the probe's findings, as the grader hands them to its workers; only to the calls alone, since the
  // grader measured beside them must probe as it always does
  const { shareConfinement } = await import(pathToFileURL(path.join(root, 'dist', 'grader', 'sandbox', 'confine.js')).href);
  const before = { ...process.env };
  shareConfinement();
  const found = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => before[k] !== v));
  for (const k of Object.keys(found)) delete process.env[k];
  return {
    withoutVerdicts: (out) => ({ args: [path.join(tree, 'bin', 'gradlab.mjs'), 'grade', path.join(root, 'solutions'), '--format', 'json', '--out', out], env: { GRADLAB_MODULE_CACHE: cache } }),
    callsAlone: () => ({ args: [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', alone], env: found }),
    check(out) {
      const report = JSON.parse(readFileSync(out, 'utf8'));
      for (const ex of manifest.exercises) {
        const first = report.tests.find((t) => t.exercise === ex.slug && t.id === ex.tests[0].id);
        if (first?.status !== 'passed') throw new Error(`the grader without its verdicts did not replay ${ex.slug}: ${JSON.stringify(first)}`);
      }
    },
  };
}
