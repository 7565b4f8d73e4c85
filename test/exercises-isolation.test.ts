/** What students get must stand on its own: exercises/ never imports solutions/ or grader/. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../grader/paths';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const importRe = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

describe('exercises/', () => {
  const exercisesDir = path.join(ROOT, 'exercises');
  const tsFiles = filesUnder(exercisesDir).filter((f) => f.endsWith('.ts'));

  it('has TypeScript files to check', () => {
    expect(tsFiles.length).toBeGreaterThanOrEqual(6 * 2 + 4);
  });

  it('imports only vitest, node built-ins and files inside exercises/', () => {
    const offending: string[] = [];
    for (const file of tsFiles) {
      for (const m of readFileSync(file, 'utf8').matchAll(importRe)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (spec.startsWith('.')) {
          const target = path.resolve(path.dirname(file), spec);
          if (path.relative(exercisesDir, target).startsWith('..')) offending.push(`${path.relative(ROOT, file)} → ${spec}`);
        } else if (!(spec === 'vitest' || spec.startsWith('node:'))) {
          offending.push(`${path.relative(ROOT, file)} → ${spec}`);
        }
      }
    }
    expect(offending).toEqual([]);
  });

  it('never names solutions/ or grader/ in code', () => {
    const offending = tsFiles.filter((f) => /['"][^'"]*\b(solutions|grader)\//.test(readFileSync(f, 'utf8')));
    expect(offending.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});
