/**
 * The measurements behind every number the exercise READMEs state, computed with the course's
 * own code (solutions/, fixtures/nets.ts, the fixture recipes) for one seed at a time. The
 * measuring script (scripts/measure.ts) runs them over hundreds of seeds; the repository's tests
 * (test/readme-claims.test.ts) run them again and check each README number against them.
 */
import { fileURLToPath } from 'node:url';
import * as A from '../../solutions/01-activations/activations';
import * as B from '../../solutions/02-backprop/backprop';
import * as BN from '../../solutions/04-batchnorm/batchnorm';
import * as R from '../../solutions/05-residual/residual';
import * as D from '../../solutions/06-dead-neurons/diagnostics';
import * as T from '../../solutions/07-training/training';
import { frobeniusNorm } from '../../exercises/lib/tensor';
import type { ActivationName, Matrix } from '../../exercises/lib/types';
import {
  loadFixture, rebuildDenseLayer, rebuildMlp, rebuildMlpOnce, rebuildResidualStack, rebuildTrainingTask, runStatistic, trainingRunStats, type MlpRecipe, type NormalInit,
} from '../../fixtures/load';
import { batchnormNetGradNorms, entryStd, preActivations, residualStackDxNorms } from '../../fixtures/nets';

/** The deep network of 02 and 04: sizes [16, 32 × 9, 8], batch 32 (scripts/fixtures/backprop.ts). */
export const DEEP = { batch: 32, sizes: [16, 32, 32, 32, 32, 32, 32, 32, 32, 32, 8] };

const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const entries = (m: Matrix): number[] => m.flat();

/** ‖dW₁‖/‖dW₁₀‖ of the 10-layer network for a seed, init and activation, and what shapes it. */
export function deepNetwork(seed: number, init: NormalInit, act: 'sigmoid' | 'relu'): DeepNetwork {
  const key = `${seed}:${init}:${act}`;
  const hit = deepMemo.get(key);
  if (hit) return hit;
  const measured = measureDeep(seed, init, act);
  deepMemo.set(key, measured);
  return measured;
}
type DeepNetwork = ReturnType<typeof measureDeep>;
const deepMemo = new Map<string, DeepNetwork>();

function measureDeep(seed: number, init: NormalInit, act: 'sigmoid' | 'relu') {
  const recipe: MlpRecipe = { seed, batch: DEEP.batch, sizes: DEEP.sizes, init, act };
  const { x, layers, dout } = rebuildMlp(recipe);
  const { cache } = B.mlpForward(x, layers, act);
  const norms = B.layerGradNorms(B.mlpBackward(dout, cache).grads);
  const zs = preActivations(x, layers, B.activationFns(act).f).slice(0, -1); // the hidden layers
  const sigmoidGrads = zs.map((z) => entries(z).map(A.sigmoidGrad));
  const lastHidden = entries(zs[zs.length - 1]).map(A.sigmoid);
  return {
    ratio: norms[0] / norms[norms.length - 1],
    /** Mean σ′ over every hidden entry (sigmoid networks). */
    meanSigmoidGrad: mean(sigmoidGrads.flat()),
    /** Fraction of hidden entries with σ′ below each threshold, and of hidden units saturated on every example. */
    saturatedEntries: (threshold: number) => mean(zs.map((z) => D.saturatedFraction(z, 'sigmoid', threshold))),
    saturatedUnits: (threshold: number) => mean(zs.map((z) => {
      const units = z[0].length;
      let n = 0;
      for (let j = 0; j < units; j++) if (z.every((row) => A.sigmoidGrad(row[j]) < threshold)) n++;
      return n / units;
    })),
    /** E[x²] of the input (what dW₁ carries) and E[h²] of the last hidden layer's output (what dW₁₀ carries). */
    inputMeanSquare: mean(entries(x).map((v) => v * v)),
    lastHiddenMeanSquare: mean(lastHidden.map((v) => v * v)),
  };
}

/**
 * The same Xavier sigmoid network with batch norm (train, γ = 1, β = 0) between every dense layer
 * and its sigmoid, as fixtures/nets.ts composes it: the ratio, the mean σ′ of the normalized
 * pre-activations, and per hidden layer the backward factor 1/√(var_B + ε) next to σ′.
 */
export async function batchnormNetwork(seed: number): Promise<BatchnormNetwork> {
  const hit = bnMemo.get(seed);
  if (hit) return hit;
  const measured = await measureBatchnorm(seed);
  bnMemo.set(seed, measured);
  return measured;
}
type BatchnormNetwork = Awaited<ReturnType<typeof measureBatchnorm>>;
const bnMemo = new Map<number, BatchnormNetwork>();

async function measureBatchnorm(seed: number) {
  const recipe: MlpRecipe = { seed, batch: DEEP.batch, sizes: DEEP.sizes, init: 'xavierNormal', act: 'sigmoid' };
  const { x, layers, dout } = rebuildMlp(recipe);
  const norms = await batchnormNetGradNorms(x, layers, dout, 'sigmoid', A.sigmoid, { ...B, ...BN });
  // the forward again, keeping each hidden layer's z before and after batch norm
  const perLayer: { layer: number; meanSigmoidGrad: number; meanFactor: number; product: number }[] = [];
  const after: number[] = [];
  let h = x;
  for (let k = 0; k < layers.length - 1; k++) {
    const z = B.denseForward(h, layers[k]);
    const d = z[0].length;
    const out = BN.batchnormForward(z, { gamma: new Array<number>(d).fill(1), beta: new Array<number>(d).fill(0) },
      { runningMean: new Array<number>(d).fill(0), runningVar: new Array<number>(d).fill(1) }, 'train').out;
    const factors = z[0].map((_v, j) => {
      const col = z.map((row) => row[j]);
      const m = mean(col);
      return 1 / Math.sqrt(mean(col.map((v) => (v - m) ** 2)) + 1e-5);
    });
    const sg = entries(out).map(A.sigmoidGrad);
    after.push(...sg);
    perLayer.push({ layer: k + 1, meanSigmoidGrad: mean(sg), meanFactor: mean(factors), product: mean(sg) * mean(factors) });
    h = out.map((row) => row.map(A.sigmoid));
  }
  return { ratio: norms[0] / norms[norms.length - 1], meanSigmoidGradAfter: mean(after), perLayer };
}

/** One sigmoid layer 32 → 32 with N(0, 1) weights, batch 64 (04's saturated layer): entries with σ′ < 0.01 before and after batch norm. */
export function saturatedLayer(seed: number) {
  const { x, layers } = rebuildMlp({ seed, batch: 64, sizes: [32, 32], init: 'standardNormal', act: 'sigmoid' });
  const z = B.denseForward(x, layers[0]);
  const d = z[0].length;
  const out = BN.batchnormForward(z, { gamma: new Array<number>(d).fill(1), beta: new Array<number>(d).fill(0) },
    { runningMean: new Array<number>(d).fill(0), runningVar: new Array<number>(d).fill(1) }, 'train').out;
  return { before: D.saturatedFraction(z, 'sigmoid', 0.01), after: D.saturatedFraction(out, 'sigmoid', 0.01) };
}

/** ‖dx₀‖/‖dx_L‖ through a residual stack of width 32, batch 16 (05's recipe), for any branch. */
export async function residualStack(seed: number, act: ActivationName, init: NormalInit, blocks = 50): Promise<number> {
  const { x, blocks: bs, dout } = rebuildResidualStack({ seed, batch: 16, width: 32, blocks, act, init });
  const norms = await residualStackDxNorms(x, bs, dout, R);
  return norms[0] / norms[blocks];
}

/** ‖dx‖/‖dout‖ of the plain 50-layer sigmoid network of width 32, batch 16, Xavier-normal (05's recipe). */
export function plainStack(seed: number): number {
  const { x, layers, dout } = rebuildMlp({ seed, batch: 16, sizes: new Array<number>(51).fill(32), init: 'xavierNormal', act: 'sigmoid' });
  const back = B.mlpBackward(dout, B.mlpForward(x, layers, 'sigmoid').cache);
  return frobeniusNorm(back.dx) / frobeniusNorm(dout);
}

/** The width of 03's graded ReLU experiment (fixtures/03-initialization/relu-depth.json). */
export const RELU_DEPTH_WIDTH = 128;

/** 03's 20 ReLU layers of width 128, batch 64: layer-20 / layer-1 pre-activation std of one network. */
export function reluDepthRatio(seed: number, init: 'heNormal' | 'xavierNormal'): number {
  const { x, layers } = rebuildMlpOnce({ seed, batch: 64, sizes: new Array<number>(21).fill(RELU_DEPTH_WIDTH), init, act: 'relu' });
  const zs = preActivations(x, layers, A.relu);
  return entryStd(zs[zs.length - 1]) / entryStd(zs[0]);
}

/** 03's five tanh layers, batch 64: the fraction of layer 5's entries with tanh′ < 1e-3 (graded at width 256). */
export function tanhLayer5Saturated(seed: number, init: 'standardNormal' | 'xavierNormal', width: number): number {
  const { x, layers } = rebuildMlpOnce({ seed, batch: 64, sizes: new Array<number>(6).fill(width), init, act: 'tanh' });
  return D.saturatedFraction(preActivations(x, layers, A.tanh)[4], 'tanh', 1e-3);
}

/** Dead fraction of 06's ReLU layer (64 → 256, He-normal, 1000 standard-normal inputs) at each bias. */
export function deadByBias(seed: number, biases: number[]): number[] {
  let maxByUnit = maxMemo.get(seed);
  if (!maxByUnit) {
    const z = rebuildDenseLayer({ seed, batch: 1000, fanIn: 64, fanOut: 256, init: 'heNormal' }).preActivations(0);
    // a unit is dead at bias b when its largest z is ≤ −b: one pass over the columns serves every bias
    maxByUnit = z[0].map((_v, j) => Math.max(...z.map((row) => row[j])));
    maxMemo.set(seed, maxByUnit);
  }
  const m = maxByUnit;
  return biases.map((b) => m.filter((v) => v + b <= 0).length / m.length);
}
const maxMemo = new Map<number, number[]>();

/**
 * The dead-neuron story of 06: one large step from w = [0.5, 0.5], b = 0.5, x = [1, 1], then
 * plain SGD. Returns the first step t (history index) at which z is back above 0, or null if it
 * has not come back within maxSteps.
 */
export function stepsToRecover(act: ActivationName, target: number, lr: number, maxSteps: number): number | null {
  const run = D.trainNeuron([0.5, 0.5], 0.5, [1, 1], target, act, lr, maxSteps);
  const t = run.history.findIndex((h, k) => k > 0 && h.z > 0);
  return t < 0 ? null : t;
}

/** The first history entries of the story (z after each step). */
export function storyZ(act: ActivationName, target: number, lr: number, steps: number): number[] {
  return D.trainNeuron([0.5, 0.5], 0.5, [1, 1], target, act, lr, steps).history.map((h) => h.z);
}

/** The smallest x (to 0.01) from which Math.tanh(x) and σ(x) return exactly 1. */
export function exactlyOneFrom(f: (x: number) => number): number {
  let lo = 0, hi = 100; // f(lo) < 1, f(hi) = 1
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) === 1) hi = mid; else lo = mid;
  }
  return hi;
}

/**
 * 07: a graded training run (fixtures/07-training/<file>.json, run `index`) on another seed: the
 * same task, network and options, trained with the reference trainMlp; one limited statistic
 * (runStatistic: a non-finite one reads as Number.MAX_VALUE).
 */
export function trainingRun(seed: number, file: 'vanishing' | 'exploding', index: number, key: string): number {
  const k = `${seed}:${file}:${index}`;
  let stats = trainingMemo.get(k);
  if (!stats) {
    const run = loadFixture('07-training', file, 'training-run').runs[index];
    const t = rebuildTrainingTask({ ...run.recipe, seed });
    const opts = run.opts.clipNorm === null ? { lr: run.opts.lr, steps: run.opts.steps } : { lr: run.opts.lr, steps: run.opts.steps, clipNorm: run.opts.clipNorm };
    stats = trainingRunStats(T.trainMlp(t.x, t.y, t.layers, run.recipe.act, opts).history, t.constantLoss);
    trainingMemo.set(k, stats);
  }
  return runStatistic(stats, key);
}
const trainingMemo = new Map<string, ReturnType<typeof trainingRunStats>>();

/** Order statistics of a sample. */
export function summary(values: number[]) {
  const s = values.slice().sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, min: s[0], p01: q(0.01), median: q(0.5), p99: q(0.99), max: s[s.length - 1], mean: mean(s) };
}

// ---------------------------------------------------------------------------------------------
// The series the READMEs quote: one number per seed, seeds 1…count.

export const MEASUREMENTS_FILE = fileURLToPath(new URL('./measurements.json', import.meta.url));

const layers2to9 = (r: BatchnormNetwork) => r.perLayer.slice(1);

/** name → how many seeds and the measurement for one seed. */
export const SERIES: Record<string, { seeds: number; at: (seed: number) => number | Promise<number> }> = {
  'xavierSigmoid.ratio': { seeds: 300, at: (s) => deepNetwork(s, 'xavierNormal', 'sigmoid').ratio },
  'xavierSigmoid.meanSigmoidGrad': { seeds: 300, at: (s) => deepNetwork(s, 'xavierNormal', 'sigmoid').meanSigmoidGrad },
  'xavierSigmoid.saturated0.01': { seeds: 300, at: (s) => deepNetwork(s, 'xavierNormal', 'sigmoid').saturatedEntries(0.01) },
  'xavierSigmoid.inputMeanSquare': { seeds: 300, at: (s) => deepNetwork(s, 'xavierNormal', 'sigmoid').inputMeanSquare },
  'xavierSigmoid.lastHiddenMeanSquare': { seeds: 300, at: (s) => deepNetwork(s, 'xavierNormal', 'sigmoid').lastHiddenMeanSquare },
  'heRelu.ratio': { seeds: 300, at: (s) => deepNetwork(s, 'heNormal', 'relu').ratio },
  'standardNormalSigmoid.ratio': { seeds: 300, at: (s) => deepNetwork(s, 'standardNormal', 'sigmoid').ratio },
  'standardNormalSigmoid.saturated0.01': { seeds: 300, at: (s) => deepNetwork(s, 'standardNormal', 'sigmoid').saturatedEntries(0.01) },
  'standardNormalSigmoid.saturated1e-3': { seeds: 300, at: (s) => deepNetwork(s, 'standardNormal', 'sigmoid').saturatedEntries(1e-3) },
  'standardNormalSigmoid.unitsSaturated1e-3': { seeds: 300, at: (s) => deepNetwork(s, 'standardNormal', 'sigmoid').saturatedUnits(1e-3) },
  'batchnorm.ratio': { seeds: 300, at: async (s) => (await batchnormNetwork(s)).ratio },
  'batchnorm.meanSigmoidGradAfter': { seeds: 300, at: async (s) => (await batchnormNetwork(s)).meanSigmoidGradAfter },
  'batchnorm.layers2to9.minProduct': { seeds: 300, at: async (s) => Math.min(...layers2to9(await batchnormNetwork(s)).map((l) => l.product)) },
  'batchnorm.layers2to9.maxProduct': { seeds: 300, at: async (s) => Math.max(...layers2to9(await batchnormNetwork(s)).map((l) => l.product)) },
  'batchnorm.layers2to9.meanFactor': { seeds: 300, at: async (s) => layers2to9(await batchnormNetwork(s)).reduce((a, l) => a + l.meanFactor, 0) / 8 },
  'saturatedLayer.before': { seeds: 300, at: (s) => saturatedLayer(s).before },
  'saturatedLayer.after': { seeds: 300, at: (s) => saturatedLayer(s).after },
  'residual.sigmoidXavier': { seeds: 300, at: (s) => residualStack(s, 'sigmoid', 'xavierNormal') },
  'residual.reluHe': { seeds: 300, at: (s) => residualStack(s, 'relu', 'heNormal') },
  'plain.sigmoidXavier50': { seeds: 300, at: (s) => plainStack(s) },
  'dead.bias-4': { seeds: 300, at: (s) => deadByBias(s, [-4])[0] },
  'dead.bias-5': { seeds: 300, at: (s) => deadByBias(s, [-5])[0] },
  'dead.bias-8': { seeds: 300, at: (s) => deadByBias(s, [-8])[0] },
  'reluDepth.he': { seeds: 300, at: (s) => reluDepthRatio(s, 'heNormal') },
  'reluDepth.xavier': { seeds: 300, at: (s) => reluDepthRatio(s, 'xavierNormal') },
  'tanhSaturation.standardNormal': { seeds: 300, at: (s) => tanhLayer5Saturated(s, 'standardNormal', 256) },
  'tanhSaturation.xavierNormal': { seeds: 300, at: (s) => tanhLayer5Saturated(s, 'xavierNormal', 256) },
  'tanhSaturation.width128': { seeds: 300, at: (s) => tanhLayer5Saturated(s, 'standardNormal', 128) },
  'training.sigmoidXavier.lastOverConstant': { seeds: 300, at: (s) => trainingRun(s, 'vanishing', 0, 'lastOverConstant') },
  'training.sigmoidXavier.firstLayerShare': { seeds: 300, at: (s) => trainingRun(s, 'vanishing', 0, 'firstLayerShare') },
  'training.reluHe.lastOverConstant': { seeds: 300, at: (s) => trainingRun(s, 'vanishing', 1, 'lastOverConstant') },
  'training.reluHe.firstLayerShare': { seeds: 300, at: (s) => trainingRun(s, 'vanishing', 1, 'firstLayerShare') },
  'training.wild.growth': { seeds: 300, at: (s) => trainingRun(s, 'exploding', 0, 'growth') },
  'training.clipped.growth': { seeds: 300, at: (s) => trainingRun(s, 'exploding', 1, 'growth') },
  'training.clipped.lastOverFirst': { seeds: 300, at: (s) => trainingRun(s, 'exploding', 1, 'lastOverFirst') },
};

/** Seed-free numbers: where float64 saturates, and the dead-neuron story (history index of z > 0 again, −1 for never). */
export function singles(): Record<string, number> {
  const story = (act: ActivationName, target: number, lr: number) => stepsToRecover(act, target, lr, 200_000) ?? -1;
  return {
    'tanhExactlyOneFrom': exactlyOneFrom(Math.tanh),
    'sigmoidExactlyOneFrom': exactlyOneFrom(A.sigmoid),
    'story.readme.relu': story('relu', 0.2, 20),
    'story.readme.leakyRelu': story('leakyRelu', 0.2, 20),
    'story.readme.tanh': story('tanh', 0.2, 20),
    'story.graded.relu': story('relu', 0.5, 50),
    'story.graded.leakyRelu': story('leakyRelu', 0.5, 50),
    'story.graded.tanh': story('tanh', 0.5, 50),
  };
}

export interface Measurements { series: Record<string, number[]>; single: Record<string, number> }

export async function measureAll(): Promise<Measurements> {
  const series: Record<string, number[]> = {};
  for (const [name, { seeds, at }] of Object.entries(SERIES)) {
    series[name] = [];
    for (let s = 1; s <= seeds; s++) series[name].push(await at(s));
  }
  return { series, single: singles() };
}
