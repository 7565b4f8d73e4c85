/**
 * One mistake, charged to one exercise. In the student's own files an exercise may import another
 * exercise's functions (05 builds on 02's denseBackward, 02 on 01's tanhGrad): when such a function
 * fails its own exercise's public tests, the public tests of every exercise built on it fail too.
 * This says which exercises fail only *while* a function they import fails at home — blocked,
 * with the exercise to fix first — so that the feedback charges the exercise where the mistake is.
 *
 * Which exercise imports what is read from the student's files (import declarations naming
 * `../<folder>/…`); which function fails is read from the public tests, whose top-level describe
 * blocks are named after the function they test. An exercise that fails while a function it
 * imports fails is blocked whatever else is wrong in it: that shows once the import passes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ManifestExercise } from '../manifest.js';
import type { ExerciseOutcome } from './run-public.js';

/** Every function of the exercise: `import * as m` and default imports. */
const ALL = '*';

/** The other exercises a file imports, each with the names it imports (ALL for a namespace or default import). */
export function exerciseImports(root: string, ex: ManifestExercise, all: ManifestExercise[]): Map<string, Set<string>> {
  const file = path.join(root, 'exercises', ex.folder, ex.file);
  const found = new Map<string, Set<string>>();
  if (!existsSync(file)) return found;
  // comments out, so that an import shown in a comment does not count
  const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  const declaration = /\b(?:import|export)\s+(type\s+)?([^'";]*?)\s*from\s*['"]\.\.\/([^/'"]+)\/[^'"]*['"]/g;
  for (const m of text.matchAll(declaration)) {
    const [, typeOnly, clause, folder] = m;
    const dep = all.find((e) => e.folder === folder && e.slug !== ex.slug);
    if (!dep || typeOnly) continue;
    const names = found.get(dep.slug) ?? new Set<string>();
    const braces = /\{([^}]*)\}/.exec(clause);
    if (braces) {
      for (const part of braces[1].split(',')) {
        const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim();
        if (name && !/^type\s/.test(part.trim())) names.add(name);
      }
    }
    if (!braces || /^\s*[\w$]+\s*,|\*/.test(clause)) names.add(ALL);
    if (names.size > 0) found.set(dep.slug, names);
  }
  return found;
}

/** The exercise's functions that fail one of its public tests (all of them if the file does not compile or load). */
export function failingFunctions(o: ExerciseOutcome): Set<string> {
  if (o.problem && o.problem.kind !== 'stopped') return new Set(o.exercise.functions);
  const failing = new Set<string>();
  for (const t of o.tests) {
    if (t.state === 'passed') continue;
    const first = t.name.split(' > ')[0].split(/\s+/)[0];
    const named = o.exercise.functions.find((f) => f === first) ?? o.exercise.functions.find((f) => new RegExp(`\\b${f}\\b`).test(t.name));
    if (named) failing.add(named);
    else return new Set(o.exercise.functions); // a test of no one function: every function is suspect
  }
  return failing;
}

export const passedAll = (o: ExerciseOutcome): boolean => !o.problem && o.tests.length > 0 && o.tests.every((t) => t.state === 'passed');

/** Why an exercise's public tests fail: the exercise to fix first and its functions that fail there. */
export interface Blocker {
  /** The exercise whose own tests fail (followed down to the first one that is not itself blocked). */
  slug: string;
  functions: string[];
  /** The exercises in between, when the failing function is reached through another one (02 for 05 → 02 → 01). */
  through: string[];
}

/**
 * For each failing exercise of `outcomes` that imports a function failing its own exercise's
 * tests, the blocker; `imports` as exerciseImports gives them. Exercises whose outcome is not in
 * `outcomes` are taken as passing.
 */
export function blockers(outcomes: ExerciseOutcome[], imports: Map<string, Map<string, Set<string>>>): Map<string, Blocker> {
  const bySlug = new Map(outcomes.map((o) => [o.exercise.slug, o]));
  const memo = new Map<string, Blocker | null>();
  const visiting = new Set<string>();
  const blockerOf = (slug: string): Blocker | null => {
    if (memo.has(slug)) return memo.get(slug) ?? null;
    const o = bySlug.get(slug);
    if (!o || passedAll(o) || visiting.has(slug)) return null;
    // its own file does not compile or load: that is its own mistake, whatever it imports
    if (o.problem && o.problem.kind !== 'stopped' && o.problem.message.includes(`exercises/${o.exercise.folder}/`)) {
      memo.set(slug, null);
      return null;
    }
    visiting.add(slug);
    let found: Blocker | null = null;
    for (const [dep, names] of imports.get(slug) ?? []) {
      const d = bySlug.get(dep);
      if (!d || passedAll(d)) continue;
      const failing = failingFunctions(d);
      const hit = names.has(ALL) ? [...failing] : [...names].filter((n) => failing.has(n));
      if (hit.length === 0) continue;
      const deeper = blockerOf(dep);
      found = deeper ? { ...deeper, through: [dep, ...deeper.through] } : { slug: dep, functions: hit, through: [] };
      break;
    }
    visiting.delete(slug);
    memo.set(slug, found);
    return found;
  };
  const out = new Map<string, Blocker>();
  for (const o of outcomes) {
    const b = blockerOf(o.exercise.slug);
    if (b) out.set(o.exercise.slug, b);
  }
  return out;
}

/** "blocked by 01-activations: tanhGrad fails its own tests — fix 01 first" (with the exercise in between, if any). */
export function blockedWords(b: Blocker): string {
  const one = b.functions.length === 1;
  const fns = one ? `${b.functions[0]} fails its` : `${b.functions.slice(0, -1).join(', ')} and ${b.functions[b.functions.length - 1]} fail their`;
  const via = b.through.length ? ` (you use ${one ? 'it' : 'them'} through ${b.through.join(' and ')})` : '';
  return `blocked by ${b.slug}: ${fns} own tests${via} — fix ${b.slug.split('-')[0]} first`;
}

/** The exercises `slugs` import, directly or not, with `slugs` themselves: the public tests a verdict on them needs. */
export function withDependencies(slugs: string[], imports: Map<string, Map<string, Set<string>>>): Set<string> {
  const out = new Set<string>();
  const visit = (s: string) => {
    if (out.has(s)) return;
    out.add(s);
    for (const dep of imports.get(s)?.keys() ?? []) visit(dep);
  };
  slugs.forEach(visit);
  return out;
}
