/**
 * A vitest setup file for `gradlab check`, loaded into the worker that runs one public test file.
 * vitest's testTimeout cannot stop a synchronous infinite loop (the worker's thread never yields),
 * so a thread of the worker watches the CPU time the current test (or the file's import) has used
 * and kills the worker past the limit — CPU time, like grading, so a busy machine changes nothing.
 * Before each test it writes what has finished so far, so that `check` can still show those
 * results when the worker dies (vitest loses them with the worker).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, expect } from 'vitest';
import type { RunnerTask } from 'vitest';

const dir = process.env.GRADLAB_CHECK_DIR ?? '';
const limitMs = Number(process.env.GRADLAB_CHECK_CPU_MS ?? '5000');

/** CPU time of this whole process (all its threads), in ms. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// started[0]: the process CPU time when the current step began, −1 between tests
const started = new Float64Array(new SharedArrayBuffer(8));
// the journal file's path is fixed for this process: the killer thread writes next to it
const journal = path.join(dir, `${process.pid}.json`);

if (dir) {
  const killer = new Worker(`
    const { writeFileSync } = require('node:fs');
    const { workerData: { started, limitMs, marker } } = require('node:worker_threads');
    const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
    setInterval(() => {
      const used = started[0] < 0 ? 0 : cpuMs() - started[0];
      if (used > limitMs) {
        writeFileSync(marker, JSON.stringify({ cpuMs: Math.round(used) }));
        process.kill(process.pid, 'SIGKILL');
      }
    }, 50);
  `, { eval: true, workerData: { started, limitMs, marker: journal.replace(/\.json$/, '.killed') } });
  killer.unref();
}

interface JournalTest { name: string; state: 'passed' | 'failed'; message?: string }

/** 'describe > it', as vitest's reporters name a test (TestCase.fullName). */
function fullName(task: RunnerTask): string {
  const names: string[] = [];
  for (let t: RunnerTask | undefined = task; t && !('filepath' in t); t = t.suite) names.unshift(t.name);
  return names.join(' > ');
}

/** The tests of the file that have a final result, in order. */
function finished(tasks: RunnerTask[]): JournalTest[] {
  return tasks.flatMap((t): JournalTest[] => {
    if (t.type === 'suite') return finished(t.tasks);
    const state = t.result?.state;
    if (state !== 'pass' && state !== 'fail') return [];
    return [{ name: fullName(t), state: state === 'pass' ? 'passed' : 'failed', message: t.result?.errors?.[0]?.message }];
  });
}

// importing the test file (and the student's module with it) is the first step the limit covers
// (running: '' while importing)
if (dir) writeFileSync(journal, JSON.stringify({ file: expect.getState().testPath ?? '', running: '', done: [] }));
started[0] = cpuMs();

beforeEach(({ task }) => {
  if (dir) writeFileSync(journal, JSON.stringify({ file: task.file.filepath, running: fullName(task), done: finished(task.file.tasks) }));
  started[0] = cpuMs();
});
afterEach(() => {
  started[0] = -1;
});
