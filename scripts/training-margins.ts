/**
 * How far the phenomena of 07 are from their limits, over many seeds: runs the reference trainMlp
 * on the tasks of fixtures/07-training/{vanishing,exploding}.json with seeds 1…N (same recipe,
 * another seed) and prints, for every limited statistic, its range, its quantiles and how many
 * seeds fall outside the fixture's limits.
 *
 *   TS_NODE_PROJECT=scripts/fixtures/tsconfig.json node --loader ts-node/esm --no-warnings scripts/training-margins.ts [N]
 *
 * The graded runs use the fixtures' fixed seeds, so this is not what makes grading deterministic
 * (see exercises/07-training/README.md, "How the phenomena are graded"); it shows the phenomena are
 * not the luck of one seed, and how much room the limits leave.
 */
import { loadFixture, rebuildTrainingTask, runStatistic, trainingRunStats } from '../fixtures/load';
import { trainMlp } from '../solutions/07-training/training';

const n = Number(process.argv[2] ?? 1000);
for (const name of ['vanishing', 'exploding']) {
  for (const run of loadFixture('07-training', name, 'training-run').runs) {
    const values: Record<string, number[]> = Object.fromEntries(Object.keys(run.limits).map((k) => [k, []]));
    const outside: Record<string, number> = Object.fromEntries(Object.keys(run.limits).map((k) => [k, 0]));
    for (let seed = 1; seed <= n; seed++) {
      const t = rebuildTrainingTask({ ...run.recipe, seed });
      const opts = run.opts.clipNorm === null ? { lr: run.opts.lr, steps: run.opts.steps } : { ...run.opts, clipNorm: run.opts.clipNorm };
      const s = trainingRunStats(trainMlp(t.x, t.y, t.layers, run.recipe.act, opts).history, t.constantLoss);
      for (const [k, lim] of Object.entries(run.limits)) {
        const v = runStatistic(s, k);
        values[k].push(v);
        if (!(v >= lim.lo && v <= lim.hi)) outside[k]++;
      }
    }
    for (const [k, lim] of Object.entries(run.limits)) {
      const v = values[k].sort((a, b) => a - b);
      const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * v.length))].toPrecision(3);
      console.log(`${name} / ${run.label} / ${k} in [${lim.lo}, ${lim.hi}]: min ${q(0)}, 1% ${q(0.01)}, median ${q(0.5)}, 99% ${q(0.99)}, max ${q(1)}; outside ${outside[k]}/${n}`);
    }
  }
}


