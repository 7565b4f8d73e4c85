/**
 * Why the phenomenon tests of 07 cannot fail a correct trainMlp: they train on fixed seeds, and
 * trainMlp draws no random numbers, so the only freedom a correct implementation has is rounding
 * (the order of a sum, Math.hypot or a sum of squares, where a factor is applied). Here correct
 * variants that round differently, and the reference on inputs perturbed by a relative 1e-12
 * (far more than any reordering of float64 operations changes after one step), are run on the
 * graded recipes: every statistic must stay inside every limit, and its spread must be a tiny
 * fraction of the distance from the reference's value to the nearest limit edge. Their losses, step
 * by step, must also be the reference run's to within a hundredth of LOSS_REL, the tolerance by
 * which the suite asks whether a history's losses are those of a network trained (a scripted
 * history shows any phenomenon).
 */
import { describe, expect, it } from 'vitest';
import { createRng } from '../exercises/lib/rng';
import type { ActivationName, Dense, Matrix } from '../exercises/lib/types';
import { LOSS_REL, loadFixture, lossGap, lossShift, rebuildTrainingTask, runStatistic, trainingRunStats, type TrainingRunFixture } from '../fixtures/load';
import { mlpBackward, mlpForward, mseLoss } from '../solutions/02-backprop/backprop';
import { trainMlp } from '../solutions/07-training/training';

type Run = TrainingRunFixture['runs'][number];
type History = { loss: number; gradNorm: number; firstLayerGradNorm: number }[];

/** A correct trainMlp that rounds differently: Math.hypot norms, the clip factor applied as ·maxNorm/norm, updates as w − dW·lr. */
function otherRounding(x: Matrix, y: Matrix, layers: Dense[], act: ActivationName, opts: { lr: number; steps: number; clipNorm?: number }): History {
  let net = layers;
  const history: History = [];
  for (let t = 0; t < opts.steps; t++) {
    const { out, cache } = mlpForward(x, net, act);
    const { loss, dpred } = mseLoss(out, y);
    const { grads } = mlpBackward(dpred, cache);
    const norm = Math.hypot(...grads.flatMap((g) => [...g.dW.flat(), ...g.db]));
    history.push({ loss, gradNorm: norm, firstLayerGradNorm: Math.hypot(...grads[0].dW.flat()) });
    const clip = opts.clipNorm !== undefined && norm > opts.clipNorm;
    const step = (g: number): number => (clip ? (g * (opts.clipNorm as number)) / norm : g);
    net = net.map((l, i) => ({ W: l.W.map((r, p) => r.map((w, q) => w - step(grads[i].dW[p][q]) * opts.lr)), b: l.b.map((b, q) => b - step(grads[i].db[q]) * opts.lr) }));
  }
  return history;
}

const perturb = (m: Matrix, rng: ReturnType<typeof createRng>): Matrix => m.map((r) => r.map((v) => v * (1 + 1e-12 * (2 * rng.uniform() - 1))));
const optsOf = (r: Run) => (r.opts.clipNorm === null ? { lr: r.opts.lr, steps: r.opts.steps } : { lr: r.opts.lr, steps: r.opts.steps, clipNorm: r.opts.clipNorm });

const RUNS: Run[] = [...loadFixture('07-training', 'vanishing', 'training-run').runs, ...loadFixture('07-training', 'exploding', 'training-run').runs];

describe('07 phenomenon limits against the freedom of a correct trainMlp', () => {
  for (const run of RUNS) {
    it(`${run.label}: other roundings and 1e-12 perturbations stay far inside the limits`, () => {
      const t = rebuildTrainingTask(run.recipe);
      const histories: History[] = [otherRounding(t.x, t.y, t.layers, run.recipe.act, optsOf(run))];
      for (let k = 0; k < 2; k++) {
        const rng = createRng(9000 + k);
        const layers: Dense[] = t.layers.map((l) => ({ W: perturb(l.W, rng), b: l.b }));
        histories.push(trainMlp(perturb(t.x, rng), t.y, layers, run.recipe.act, optsOf(run)).history);
      }
      const ref = trainMlp(t.x, t.y, t.layers, run.recipe.act, optsOf(run));
      const refLosses = [...ref.history.map((h) => h.loss), mseLoss(mlpForward(t.x, ref.layers, run.recipe.act).out, t.y).loss];
      for (const h of histories) {
        const gap = lossGap(h.map((e) => e.loss), refLosses);
        expect(gap, `a correct run's losses ${gap} from the reference's`).toBeLessThan(1e-2 * LOSS_REL);
        expect(lossShift(h.map((e) => e.loss), refLosses)).toBe(0);
      }
      for (const [key, lim] of Object.entries(run.limits)) {
        const ref = runStatistic(run.expected, key);
        const room = Math.min(Math.abs(Math.log(ref / lim.lo)), Math.abs(Math.log(lim.hi / ref))); // in e-folds
        for (const h of histories) {
          const v = runStatistic(trainingRunStats(h, t.constantLoss), key);
          expect(v >= lim.lo && v <= lim.hi, `${key} = ${v} outside [${lim.lo}, ${lim.hi}]`).toBe(true);
          // both unbounded (an explosion) or both finite and within 1e-3 of the room to the edge
          if (ref !== Number.MAX_VALUE) expect(Math.abs(Math.log(v / ref)), `${key}: ${v} vs the reference's ${ref}`).toBeLessThan(1e-3 * room);
          else expect(v > 1e100, `${key}: ${v}`).toBe(true);
        }
      }
    });
  }

  it('the variants compute the reference’s step 0 to 1e-12, with a gradient long enough to be clipped', () => {
    const run = RUNS[3];
    const t = rebuildTrainingTask(run.recipe);
    const a = otherRounding(t.x, t.y, t.layers, run.recipe.act, optsOf(run))[0];
    const b = trainMlp(t.x, t.y, t.layers, run.recipe.act, { ...optsOf(run), steps: 1 }).history[0];
    for (const k of ['loss', 'gradNorm', 'firstLayerGradNorm'] as const) expect(Math.abs(a[k] - b[k]) / b[k]).toBeLessThan(1e-12);
    expect(a.gradNorm).toBeGreaterThan(run.opts.clipNorm as number); // so the variants' clipping is exercised
  });
});
