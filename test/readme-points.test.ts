/**
 * The points an exercise README states are the manifest's (exercises/exercises.json): when the
 * manifest's points move, a README that still gives the old ones fails here, by name.
 *
 * Every "N points" in a README must be the exercise's total or the points of one of its tests,
 * every "(N in all)" the total, and the total must be stated at least once.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface ManifestExercise { slug: string; points: number; tests: { id: string; points: number }[] }
const manifest = JSON.parse(readFileSync(new URL('../exercises/exercises.json', import.meta.url), 'utf8')) as { exercises: ManifestExercise[] };

/** Every number a README puts before "points" or inside "(N in all)", with its words around it. */
export function statedPoints(text: string): { value: number; total: boolean; where: string }[] {
  const flat = text.replace(/\s+/g, ' ');
  const out: { value: number; total: boolean; where: string }[] = [];
  for (const m of flat.matchAll(/(\d+(?:\.\d+)?)\**\s+points\b/g)) out.push({ value: Number(m[1]), total: false, where: flat.slice(Math.max(0, (m.index ?? 0) - 30), (m.index ?? 0) + m[0].length + 10) });
  for (const m of flat.matchAll(/\((\d+(?:\.\d+)?) in all\)/g)) out.push({ value: Number(m[1]), total: true, where: m[0] });
  return out;
}

describe('README points', () => {
  it.each(manifest.exercises.map((e) => [e.slug, e] as const))('exercises/%s/README.md gives the manifest\'s points', (slug, e) => {
    const stated = statedPoints(readFileSync(new URL(`../exercises/${slug}/README.md`, import.meta.url), 'utf8'));
    const perTest = new Set(e.tests.map((t) => t.points));
    for (const s of stated) {
      const ok = s.total ? s.value === e.points : s.value === e.points || perTest.has(s.value);
      expect(ok, `exercises/${slug}/README.md says “${s.where}”, but exercises/exercises.json gives ${e.points} points in all (tests of ${[...perTest].join(', ')})`).toBe(true);
    }
    expect(stated.some((s) => s.value === e.points), `exercises/${slug}/README.md should state its ${e.points} points`).toBe(true);
  });

  it('reads the forms the READMEs use', () => {
    expect(statedPoints('## What is graded (20 points)\n\nworth 20 points in all').map((s) => s.value)).toEqual([20, 20]);
    expect(statedPoints('worth **15 points**, split').map((s) => s.value)).toEqual([15]);
    expect(statedPoints('Twelve tests of 1.25 points (15 in all)').map((s) => [s.value, s.total])).toEqual([[1.25, false], [15, true]]);
    expect(statedPoints('a different choice costs no points.')).toEqual([]);
  });
});
