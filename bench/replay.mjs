#!/usr/bin/env node
// Replays the calls one graded exercise made (recorded with GRADLAB_RECORD_CALLS, see
// grader/suites/harness.ts) on a compiled reference module, timing only the calls in CPU time:
// the compute floor of bench/class.mjs, which imports `replay` from here.
//
//   node bench/replay.mjs MODULE.mjs CALLS.v8 [MODULE2.mjs CALLS2.v8 …]
//
// as a script, in a fresh process: prints { startMs, importMs, callsMs } in CPU ms — Node's start
// to this file's first line, importing the modules, and the calls cold, once, each module's in
// turn. Seven of these with one module each, one per exercise, are what one process per exercise
// cannot go below; one with all seven is what one process per student cannot go below
// (docs/benchmarks.md).
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deserialize } from 'node:v8';

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const startMs = cpuMs();

/** The child's own handling (grader/sandbox/child.mjs): seeded Rngs and cache handles in, caches kept out. Returns CPU seconds. */
export function replay(mod, records) {
  const handles = new Map();
  let next = 1;
  const resolve = (v) => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) {
      if ('__gradlabRng' in v) return mod.__gradlabCreateRng(v.__gradlabRng);
      if ('__gradlabHandle' in v) return handles.get(v.__gradlabHandle);
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  let spent = 0; // CPU µs (user + system) of the calls alone: what a busy machine does not change
  for (const { fn, args } of records) {
    const real = resolve(args);
    const t0 = process.cpuUsage();
    const value = mod[fn](...real);
    const dt = process.cpuUsage(t0);
    spent += dt.user + dt.system;
    if (value && typeof value === 'object' && !Array.isArray(value) && 'cache' in value) handles.set(next++, value.cache);
  }
  return spent / 1e6;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let importMs = 0;
  let calls = 0;
  for (let i = 2; i + 1 < process.argv.length; i += 2) {
    const before = cpuMs();
    const mod = await import(pathToFileURL(process.argv[i]).href);
    importMs += cpuMs() - before;
    calls += replay(mod, deserialize(readFileSync(process.argv[i + 1])));
  }
  console.log(JSON.stringify({ startMs, importMs, callsMs: calls * 1000 }));
}
