import { describe, expect, it } from 'vitest';
import { createRng, randnMatrix } from '../lib/rng';
import type { Dense, LayerGrads, Matrix } from '../lib/types';
import { clipGradNorm, globalGradNorm, sgdStep, trainMlp } from './training';
import { numericGrad, relError, thrownBy } from '../lib/gradcheck';

// Expected values are small hand computations, or an independent forward pass written here with
// plain loops and differentiated by central finite differences; nothing is copied from a reference
// implementation. trainMlp uses your 02 (mlpForward, mlpBackward, mseLoss): finish 02 first.

/** |got − want| ≤ 1e-12 + 1e-12·|want|, with a message that says what was compared. */
function expectClose(got: number, want: number, what: string): void {
  expect(Math.abs(got - want) <= 1e-12 + 1e-12 * Math.abs(want), `${what}: expected ${want}, got ${got}`).toBe(true);
}

/** Gradients of a 2-layer network whose global norm is 13: 3² + 4² + 12² = 169. */
const thirteen = (): LayerGrads[] => [
  { dW: [[3]], db: [4] },
  { dW: [[0, 12]], db: [0, 0] },
];

describe('globalGradNorm', () => {
  it('is √(Σ‖dWᵢ‖² + Σ‖dbᵢ‖²) over every layer, biases included: 13 for 3, 4 and 12', () => {
    expectClose(globalGradNorm(thirteen()), 13, 'global norm');
  });

  it('is not the sum of the layers’ norms (5 + 12 = 17) and is 0 for all-zero gradients', () => {
    expect(globalGradNorm(thirteen())).not.toBe(17);
    expectClose(globalGradNorm([{ dW: [[0, 0], [0, 0]], db: [0, 0] }]), 0, 'zero gradients');
  });
});

describe('clipGradNorm', () => {
  it('scales every dW and db by maxNorm / norm when the norm is above maxNorm: 13 → 6.5 halves everything', () => {
    const clipped = clipGradNorm(thirteen(), 6.5);
    expect(clipped).toEqual([{ dW: [[1.5]], db: [2] }, { dW: [[0, 6]], db: [0, 0] }]);
    expectClose(globalGradNorm(clipped), 6.5, 'norm after clipping');
  });

  it('uses ONE factor for all layers: the small layer shrinks as much as the large one', () => {
    // per-layer clipping at 6.5 would leave layer 0 (norm 5) alone and cut layer 1 (norm 12) to 6.5
    const clipped = clipGradNorm(thirteen(), 6.5);
    expectClose(clipped[0].dW[0][0] / 3, clipped[1].dW[0][1] / 12, 'factor of layer 0 vs layer 1');
  });

  it('never scales up: at or below maxNorm (and at norm 0) the values come back unchanged', () => {
    expect(clipGradNorm(thirteen(), 13)).toEqual(thirteen());
    expect(clipGradNorm(thirteen(), 100)).toEqual(thirteen());
    expect(clipGradNorm([{ dW: [[0]], db: [0] }], 1)).toEqual([{ dW: [[0]], db: [0] }]);
  });

  it('does not mutate its input', () => {
    const grads = thirteen();
    clipGradNorm(grads, 1);
    expect(grads).toEqual(thirteen());
  });

  it('refuses a maxNorm that is not positive, with a message that says so', () => {
    const err = thrownBy(() => clipGradNorm(thirteen(), 0));
    expect(err, 'clipGradNorm(grads, 0) should throw').toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/maxNorm/);
  });
});

describe('sgdStep', () => {
  const layers = (): Dense[] => [{ W: [[1, -2], [0.5, 3]], b: [0.25, -1] }];
  const grads = (): LayerGrads[] => [{ dW: [[10, 0], [-5, 1]], db: [2, -4] }];

  it('subtracts lr times the gradient from W and b', () => {
    // lr 0.25 keeps every number exact in binary floating point
    expect(sgdStep(layers(), grads(), 0.25)).toEqual([{ W: [[-1.5, -2], [1.75, 2.75]], b: [-0.25, 0] }]);
  });

  it('returns new layers and leaves the given layers and gradients as they were', () => {
    const l = layers();
    const g = grads();
    const next = sgdStep(l, g, 0.1);
    expect(l).toEqual(layers());
    expect(g).toEqual(grads());
    expect(next[0].W).not.toBe(l[0].W);
  });

  it('refuses gradients for another number of layers, with a message that says so', () => {
    const err = thrownBy(() => sgdStep(layers(), [...grads(), ...grads()], 0.1));
    expect(err, 'sgdStep with 2 gradients for 1 layer should throw').toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/layer/);
  });
});

// ---------------------------------------------------------------------------------------------
// trainMlp

/** The two activations the loss below is evaluated with, written differently from the obvious code (σ(z) = ½(1 + tanh(z/2))). */
const act = { sigmoid: (z: number) => 0.5 * (1 + Math.tanh(z / 2)), tanh: Math.tanh };

/** mseLoss of the network, written with plain loops: (1/2N) Σ‖pred − y‖². */
function loss(x: Matrix, y: Matrix, layers: Dense[], a: keyof typeof act): number {
  let s = 0;
  x.forEach((row, n) => {
    let h = row;
    layers.forEach((l, k) => {
      const z = l.b.map((b, j) => b + h.reduce((t, v, i) => t + v * l.W[i][j], 0));
      h = k < layers.length - 1 ? z.map(act[a]) : z;
    });
    h.forEach((p, j) => { s += (p - y[n][j]) ** 2; });
  });
  return s / (2 * x.length);
}

/** A small random network [3, 5, 4, 2] with non-zero biases, and its data. */
function problem(seed: number): { x: Matrix; y: Matrix; layers: Dense[] } {
  const rng = createRng(seed);
  const sizes = [3, 5, 4, 2];
  const layers = sizes.slice(0, -1).map((n, i) => ({
    W: randnMatrix(n, sizes[i + 1], rng).map((r) => r.map((v) => v / Math.sqrt(n))),
    b: randnMatrix(1, sizes[i + 1], rng)[0].map((v) => 0.5 * v),
  }));
  return { x: randnMatrix(6, 3, rng), y: randnMatrix(6, 2, rng), layers };
}

describe('trainMlp', () => {
  // one linear layer, x = [1, 2], y = [2, 4], W = 0, b = 0: pred 0, loss (4 + 16) / 4 = 5,
  // dpred = −y / 2, dW = Σ x·dpred = −1 − 4 = −5, db = −3, global norm √34, ‖dW₁‖ = 5
  const x = [[1], [2]];
  const y = [[2], [4]];
  const zero = (): Dense[] => [{ W: [[0]], b: [0] }];

  it('takes one step of gradient descent and records the network before it', () => {
    const r = trainMlp(x, y, zero(), 'tanh', { lr: 0.1, steps: 1 });
    expect(r.history.length).toBe(1);
    expectClose(r.history[0].loss, 5, 'history[0].loss');
    expectClose(r.history[0].gradNorm, Math.sqrt(34), 'history[0].gradNorm');
    expectClose(r.history[0].firstLayerGradNorm, 5, 'history[0].firstLayerGradNorm');
    expectClose(r.layers[0].W[0][0], 0.5, 'W after the step');
    expectClose(r.layers[0].b[0], 0.3, 'b after the step');
  });

  it('with clipNorm, steps with the clipped gradient but records the norm before clipping', () => {
    const r = trainMlp(x, y, zero(), 'tanh', { lr: 0.1, steps: 1, clipNorm: 1 });
    expectClose(r.history[0].gradNorm, Math.sqrt(34), 'history[0].gradNorm (before clipping)');
    expectClose(r.layers[0].W[0][0], 0.5 / Math.sqrt(34), 'W after a clipped step');
    expectClose(r.layers[0].b[0], 0.3 / Math.sqrt(34), 'b after a clipped step');
  });

  it('records one entry per step, each before its update: history[t + 1].loss is the loss after step t', () => {
    const { x: px, y: py, layers } = problem(71);
    const three = trainMlp(px, py, layers, 'tanh', { lr: 0.2, steps: 3 });
    expect(three.history.length).toBe(3);
    expectClose(three.history[0].loss, loss(px, py, layers, 'tanh'), 'history[0].loss: the network you gave');
    const one = trainMlp(px, py, layers, 'tanh', { lr: 0.2, steps: 1 });
    expectClose(three.history[1].loss, loss(px, py, one.layers, 'tanh'), 'history[1].loss: after one step');
    expectClose(trainMlp(px, py, layers, 'tanh', { lr: 0.2, steps: 0 }).history.length, 0, 'history length for 0 steps');
  });

  it('moves every parameter by −lr × the finite-difference gradient of the loss (sigmoid)', () => {
    const { x: px, y: py, layers } = problem(72);
    const lr = 0.1;
    const next = trainMlp(px, py, layers, 'sigmoid', { lr, steps: 1 }).layers;
    layers.forEach((l, k) => {
      l.W.forEach((row, i) => {
        const numeric = numericGrad(() => loss(px, py, layers, 'sigmoid'), row);
        const step = row.map((w, j) => (w - next[k].W[i][j]) / lr);
        expect(relError(step, numeric), `layer ${k}, W row ${i}`).toBeLessThan(1e-6);
      });
      const numericB = numericGrad(() => loss(px, py, layers, 'sigmoid'), l.b);
      expect(relError(l.b.map((b, j) => (b - next[k].b[j]) / lr), numericB), `layer ${k}, b`).toBeLessThan(1e-6);
    });
  });

  it('does not change the layers it was given', () => {
    const { x: px, y: py, layers } = problem(73);
    const before = structuredClone(layers);
    trainMlp(px, py, layers, 'relu', { lr: 0.5, steps: 3, clipNorm: 0.5 });
    expect(layers).toEqual(before);
  });

  it('the story: a 10-layer sigmoid/Xavier network learns nothing about x, the ReLU/He one does, and 1.5× too-large weights explode unless clipped', () => {
    // 16 examples of 4 inputs, targets centred with variance 1: predicting their mean costs loss 0.5
    const rng = createRng(74);
    const xs = randnMatrix(16, 4, rng);
    const teacher = randnMatrix(4, 1, rng);
    const raw = xs.map((r) => Math.tanh(r.reduce((s, v, i) => s + v * teacher[i][0], 0) / 2));
    const mean = raw.reduce((s, v) => s + v, 0) / raw.length;
    const sd = Math.sqrt(raw.reduce((s, v) => s + (v - mean) ** 2, 0) / raw.length);
    const ys = raw.map((v) => [(v - mean) / sd]);
    const sizes = [4, 12, 12, 12, 12, 12, 12, 12, 12, 12, 1];
    const normals = sizes.slice(0, -1).map((n, i) => randnMatrix(n, sizes[i + 1], rng));
    const net = (std: (fanIn: number, fanOut: number) => number): Dense[] =>
      normals.map((m, i) => ({ W: m.map((r) => r.map((v) => v * std(sizes[i], sizes[i + 1]))), b: new Array<number>(sizes[i + 1]).fill(0) }));
    const opts = { lr: 0.05, steps: 60 };

    const sigmoid = trainMlp(xs, ys, net((i, o) => Math.sqrt(2 / (i + o))), 'sigmoid', opts).history;
    const relu = trainMlp(xs, ys, net((i) => Math.sqrt(2 / i)), 'relu', opts).history;
    const last = (h: { loss: number }[]) => h[h.length - 1].loss;
    expect(last(sigmoid), 'sigmoid/Xavier: last loss ≈ the mean predictor’s 0.5').toBeGreaterThan(0.49);
    expect(sigmoid[0].firstLayerGradNorm / sigmoid[0].gradNorm, 'sigmoid: share of the gradient at the first layer').toBeLessThan(1e-3);
    expect(last(relu), 'ReLU/He: last loss well below 0.5').toBeLessThan(0.25);

    const wild = trainMlp(xs, ys, net((i) => 1.5 * Math.sqrt(2 / i)), 'relu', opts).history;
    expect(wild.some((h) => !Number.isFinite(h.loss) || h.loss > 1e6 * wild[0].loss), 'without clipping the loss blows up').toBe(true);
    const clipped = trainMlp(xs, ys, net((i) => 1.5 * Math.sqrt(2 / i)), 'relu', { ...opts, clipNorm: 5 }).history;
    expect(clipped.every((h) => Number.isFinite(h.loss)), 'with clipNorm 5 every loss is finite').toBe(true);
    expect(last(clipped), 'with clipNorm 5 the loss falls').toBeLessThan(0.05 * clipped[0].loss);
  });
});
