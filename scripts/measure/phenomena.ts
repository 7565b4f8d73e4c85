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
import type { ActivationName, Dense, Matrix } from '../../exercises/lib/types';
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

/** ‖dW₁‖/‖dW₁₀‖ of 02's 10-layer network (width 32, batch 32, its dout) with tanh and N(0, 1) weights: the backward signal grows layer by layer. */
export function tanhDeep(seed: number): number {
  const { x, layers, dout } = rebuildMlp({ seed, batch: DEEP.batch, sizes: DEEP.sizes, init: 'standardNormal', act: 'tanh' });
  const norms = B.layerGradNorms(B.mlpBackward(dout, B.mlpForward(x, layers, 'tanh').cache).grads);
  return norms[0] / norms[norms.length - 1];
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
  return runStatistic(trainingTrace(seed, file, index).stats, key);
}

/** A graded 07 run on another seed, whole: the task, its history, the trained layers and their statistics. */
export function trainingTrace(seed: number, file: 'vanishing' | 'exploding', index: number) {
  const k = `${seed}:${file}:${index}`;
  let hit = trainingMemo.get(k);
  if (!hit) {
    const run = loadFixture('07-training', file, 'training-run').runs[index];
    const task = rebuildTrainingTask({ ...run.recipe, seed });
    const opts = run.opts.clipNorm === null ? { lr: run.opts.lr, steps: run.opts.steps } : { lr: run.opts.lr, steps: run.opts.steps, clipNorm: run.opts.clipNorm };
    const { history, layers } = T.trainMlp(task.x, task.y, task.layers, run.recipe.act, opts);
    hit = { task, act: run.recipe.act, lr: run.opts.lr, history, layers, stats: trainingRunStats(history, task.constantLoss) };
    trainingMemo.set(k, hit);
  }
  return hit;
}
type TrainingTrace = { task: ReturnType<typeof rebuildTrainingTask>; act: ActivationName; lr: number; history: T.TrainStep[]; layers: Dense[]; stats: ReturnType<typeof trainingRunStats> };
const trainingMemo = new Map<string, TrainingTrace>();

/** vanishing.json's graded ReLU/He run, and its task on another seed at another scale (gain 1: He's). */
const gradedRelu = () => loadFixture('07-training', 'vanishing', 'training-run').runs[1];
const reluTask = (seed: number, gain: number) => rebuildTrainingTask({ ...gradedRelu().recipe, seed, gain });

/**
 * 07's ReLU network on a seed at another scale, learning rate or clip norm: the graded recipe and
 * step count of vanishing.json's ReLU/He run with gain, lr and clipNorm (null: none) replaced.
 */
export function reluRun(seed: number, gain: number, lr: number, clipNorm: number | null) {
  const k = `${seed}:${gain}:${lr}:${clipNorm}`;
  let hit = reluMemo.get(k);
  if (!hit) {
    const steps = gradedRelu().opts.steps;
    const task = reluTask(seed, gain);
    const opts = clipNorm === null ? { lr, steps } : { lr, steps, clipNorm };
    const { history, layers } = T.trainMlp(task.x, task.y, task.layers, 'relu', opts);
    hit = { task, act: 'relu' as ActivationName, lr, history, layers, stats: trainingRunStats(history, task.constantLoss) };
    reluMemo.set(k, hit);
  }
  return hit;
}
const reluMemo = new Map<string, TrainingTrace>();

/**
 * The first `steps` updates of 07's ReLU network at `gain` and `lr`, without clipping, taken one at a
 * time with the reference's functions: before each update (and after the last), each layer's ‖W‖,
 * the output's norm and each hidden layer's dead units on the batch (units whose pre-activation is
 * ≤ 0 for every example). What makes one overshoot feed the next, and what ends a run at the mean.
 */
export function firstUpdates(seed: number, gain: number, lr: number, steps: number) {
  const { x, y, layers: start } = reluTask(seed, gain);
  let layers = start;
  const out: { weightNorms: number[]; outNorm: number; loss: number; deadUnits: number[] }[] = [];
  for (let s = 0; ; s++) {
    const f = B.mlpForward(x, layers, 'relu');
    const { loss, dpred } = B.mseLoss(f.out, y);
    const zs = preActivations(x, layers, A.relu).slice(0, -1);
    out.push({ weightNorms: layers.map((l) => frobeniusNorm(l.W)), outNorm: frobeniusNorm(f.out), loss, deadUnits: zs.map((z) => Math.round(D.deadUnitFraction(z) * z[0].length)) });
    if (s === steps) return out;
    layers = T.sgdStep(layers, B.mlpBackward(dpred, f.cache).grads, lr);
  }
}

/** The share of a ReLU network's hidden units that are dead on the whole batch x (06's deadUnitFraction, pooled over the hidden layers, which all have the same width). */
export function deadHiddenShare(x: Matrix, layers: Dense[]): number {
  const zs = preActivations(x, layers, A.relu).slice(0, -1);
  return mean(zs.map((z) => D.deadUnitFraction(z)));
}

/**
 * 07's network at step 0 with its graded weights (gain 1) and 1.5× them, on the same draws: what
 * the factor 1.5 does to the output, the loss and the gradients. With zero biases a ReLU network
 * is positively homogeneous, so the output scales by exactly 1.5¹⁰; every layer's dW scales by the
 * residual's factor times 1.5⁹, one factor shared by all layers when the output dwarfs y.
 */
export function scaledUp(seed: number, gain = 1.5) {
  const at = (g: number) => {
    const t = reluTask(seed, g);
    const { out, cache } = B.mlpForward(t.x, t.layers, 'relu');
    const { loss, dpred } = B.mseLoss(out, t.y);
    const grads = B.mlpBackward(dpred, cache).grads;
    const norms = B.layerGradNorms(grads);
    const weights = Math.sqrt(t.layers.reduce((s, l) => s + frobeniusNorm(l.W) ** 2, 0));
    // the same network regressing y = 0: only the output drives the gradient
    const zero = B.layerGradNorms(B.mlpBackward(B.mseLoss(out, out.map((r) => r.map(() => 0))).dpred, cache).grads);
    return { out: frobeniusNorm(out), loss, global: T.globalGradNorm(grads), norms, weights, zero };
  };
  const one = at(1);
  const big = at(gain);
  return {
    outFactor: big.out / one.out,
    lossFactor: big.loss / one.loss,
    globalFactor: big.global / one.global,
    /** Per layer, the factor of ‖dWₖ‖ when y = 0. */
    zeroTargetFactors: big.zero.map((v, k) => v / one.zero[k]),
    firstLast: big.norms[0] / big.norms[big.norms.length - 1],
    firstLastAtGain1: one.norms[0] / one.norms[one.norms.length - 1],
    flow: D.gradientFlow(big.norms),
    global: big.global,
    weights: big.weights,
    /** The first step's length lr·‖g‖ over the length of all the weights ‖W‖, at 07's lr. */
    firstStepOverWeights: (gradedRelu().opts.lr * big.global) / big.weights,
  };
}

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
  'training.wild.lastOverConstant': { seeds: 300, at: (s) => trainingRun(s, 'exploding', 0, 'lastOverConstant') },
  'training.clipped.growth': { seeds: 300, at: (s) => trainingRun(s, 'exploding', 1, 'growth') },
  'training.clipped.lastOverFirst': { seeds: 300, at: (s) => trainingRun(s, 'exploding', 1, 'lastOverFirst') },
  'training.reluHe.maxLossOverFirst': { seeds: 300, at: (s) => Math.max(...trainingTrace(s, 'vanishing', 1).history.map((h) => h.loss)) / trainingTrace(s, 'vanishing', 1).history[0].loss },
  'training.reluHe.lastOverTenBefore': { seeds: 300, at: (s) => { const h = trainingTrace(s, 'vanishing', 1).history; return h[h.length - 1].loss / h[h.length - 11].loss; } },
  'training.reluHe.deadAtInit': { seeds: 300, at: (s) => deadHiddenShare(trainingTrace(s, 'vanishing', 1).task.x, trainingTrace(s, 'vanishing', 1).task.layers) },
  'training.reluHe.deadAtEnd': { seeds: 300, at: (s) => deadHiddenShare(trainingTrace(s, 'vanishing', 1).task.x, trainingTrace(s, 'vanishing', 1).layers) },
  'training.scaled.outFactor': { seeds: 300, at: (s) => scaledUp(s).outFactor },
  'training.scaled.lossFactor': { seeds: 300, at: (s) => scaledUp(s).lossFactor },
  'training.scaled.globalFactor': { seeds: 300, at: (s) => scaledUp(s).globalFactor },
  'training.scaled.firstLast': { seeds: 300, at: (s) => scaledUp(s).firstLast },
  'training.scaled.firstStepOverWeights': { seeds: 300, at: (s) => scaledUp(s).firstStepOverWeights },
  'tanhStandardNormal.ratio': { seeds: 300, at: (s) => tanhDeep(s) },
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
