import { describe, expect, it } from 'vitest';
import { createRng, randnMatrix } from '../lib/rng';
import { map, matmul } from '../lib/tensor';
import type { Matrix } from '../lib/types';
import { deadUnitFraction, gradientFlow, saturatedFraction, trainNeuron } from './diagnostics';
import { thrownBy } from '../lib/gradcheck';

// Expected values are small hand computations, closed forms, or ranges measured over many seeds
// (see README.md); nothing here is copied from a reference implementation.

/** |got − want| ≤ atol + rtol·|want|, with a message that says what was compared. */
function expectClose(got: number, want: number, atol: number, rtol: number, what: string): void {
  const ok = Math.abs(got - want) <= atol + rtol * Math.abs(want);
  expect(ok, `${what}: expected ${want}, got ${got} (atol ${atol}, rtol ${rtol})`).toBe(true);
}

/** The pre-activations x·W of a ReLU layer 64 → 256 with He-normal weights, for 1000 inputs. */
function heLayerPreActivations(seed: number): Matrix {
  const rng = createRng(seed);
  const x = randnMatrix(1000, 64, rng);
  const W = map(randnMatrix(64, 256, rng), (v) => v * Math.sqrt(2 / 64));
  return matmul(x, W);
}

describe('deadUnitFraction', () => {
  it('counts the columns that are ≤ 0 on every row, and 0 itself counts as dead', () => {
    const z = [
      [-1, 0, 3, -2],
      [-5, 0, -1, -0.5],
      [-2, 0, -4, 1e-12],
    ];
    // column 0: always < 0 → dead; column 1: always exactly 0 → dead (ReLU′(0) = 0);
    // column 2: positive on row 0 → alive; column 3: positive (barely) on row 2 → alive
    expectClose(deadUnitFraction(z), 2 / 4, 0, 1e-15, 'dead fraction');
  });

  it('is 1 when every pre-activation is negative and 0 when every column has one positive entry', () => {
    expectClose(deadUnitFraction([[-1, -2], [-3, -4]]), 1, 0, 1e-15, 'all negative');
    expectClose(deadUnitFraction([[1, -2], [-3, 4]]), 0, 0, 0, 'one positive per column');
  });

  it('is 0 for an empty matrix', () => {
    expectClose(deadUnitFraction([]), 0, 0, 0, 'empty');
  });

  it('finds 10–30% dead units with bias −4 (the README: 12–27% over 300 draws) and all of them with bias −8 (ReLU 64 → 256, He, 1000 inputs)', () => {
    const xw = heLayerPreActivations(7);
    const minus4 = deadUnitFraction(map(xw, (v) => v - 4));
    const minus8 = deadUnitFraction(map(xw, (v) => v - 8));
    expect(minus4).toBeGreaterThanOrEqual(0.1);
    expect(minus4).toBeLessThanOrEqual(0.3);
    expectClose(minus8, 1, 0, 1e-15, 'bias −8');
  });
});

describe('saturatedFraction', () => {
  it('counts entries with tanh′(z) < 1e-3 by default: tanh′(5) ≈ 1.8e-4 is saturated, tanh′(2) ≈ 0.07 is not', () => {
    expectClose(saturatedFraction([[0, 5], [-10, 2]], 'tanh'), 2 / 4, 0, 1e-15, 'tanh');
  });

  it('uses σ′ for sigmoid: σ′(7) ≈ 9.1e-4 is saturated, σ′(6) ≈ 2.5e-3 is not', () => {
    expectClose(saturatedFraction([[7, 6, 0], [-8, -6, 1]], 'sigmoid'), 2 / 6, 0, 1e-15, 'sigmoid');
  });

  it('honours gradThreshold and compares with a strict <: σ′(0) = 0.25 is not below 0.25', () => {
    expectClose(saturatedFraction([[0]], 'sigmoid', 0.25), 0, 0, 0, 'σ′(0) vs 0.25');
    expectClose(saturatedFraction([[0, 1]], 'sigmoid', 0.2), 1 / 2, 0, 1e-15, 'σ′(1) ≈ 0.197 vs 0.2');
    expectClose(saturatedFraction([[0, 1]], 'tanh', 1), 1 / 2, 0, 1e-15, 'tanh′(0) = 1 vs 1');
  });

  it('counts entries, not units: each unit saturated on half of the examples gives 1/2, though no unit is saturated on all', () => {
    const z = [
      [10, 0, -10],
      [0, -10, 0],
      [-10, 10, 10],
      [0, 0, 0],
    ];
    expectClose(saturatedFraction(z, 'tanh'), 6 / 12, 0, 1e-15, 'saturated entries');
  });

  it('is 0 for an empty matrix', () => {
    expectClose(saturatedFraction([], 'sigmoid'), 0, 0, 0, 'empty');
  });

  it('sees about four fifths of layer 5 saturated in a standard-normal tanh network of width 256', () => {
    const rng = createRng(3);
    let h = randnMatrix(64, 256, rng);
    let z: Matrix = [];
    for (let layer = 1; layer <= 5; layer++) {
      z = matmul(h, randnMatrix(256, 256, rng)); // N(0, 1) weights: far too large for width 256
      h = map(z, Math.tanh);
    }
    const fraction = saturatedFraction(z, 'tanh');
    expect(fraction).toBeGreaterThanOrEqual(0.7);
    expect(fraction).toBeLessThanOrEqual(0.88);
  });
});

describe('gradientFlow', () => {
  it('calls a first/last ratio below 1e-2 vanishing', () => {
    expect(gradientFlow([1e-6, 1e-4, 1e-2, 1])).toBe('vanishing');
  });

  it('calls a first/last ratio above 1e2 exploding', () => {
    expect(gradientFlow([5e3, 10, 2])).toBe('exploding');
  });

  it('calls anything in between healthy, the boundaries 1e-2 and 1e2 included', () => {
    expect(gradientFlow([0.7, 1])).toBe('healthy');
    expect(gradientFlow([1, 100])).toBe('healthy'); // ratio exactly 1e-2
    expect(gradientFlow([100, 1])).toBe('healthy'); // ratio exactly 1e2
    expect(gradientFlow([3])).toBe('healthy'); // one layer: ratio 1
  });

  it('looks only at the first and the last norm', () => {
    expect(gradientFlow([1, 1e-9, 1e9, 1])).toBe('healthy');
  });

  it('throws a clear error (not a NotImplementedError) for an empty list', () => {
    expect(thrownBy(() => gradientFlow([]))).toBeInstanceOf(Error);
  });
});

describe('trainNeuron', () => {
  const w0 = [0.5, 0.5];
  const b0 = 0.5;
  const x = [1, 1];

  it('records one history entry per step, the first one before any update (z = 1.5, a = tanh 1.5 ≈ 0.9051)', () => {
    const { history } = trainNeuron(w0, b0, x, 0.2, 'tanh', 0.1, 3);
    expect(history.length).toBe(3);
    expectClose(history[0].z, 1.5, 1e-15, 0, 'history[0].z');
    expectClose(history[0].a, Math.tanh(1.5), 1e-15, 1e-12, 'history[0].a');
    expectClose(history[0].loss, 0.5 * (Math.tanh(1.5) - 0.2) ** 2, 1e-15, 1e-12, 'history[0].loss');
    expect(trainNeuron(w0, b0, x, 0.2, 'tanh', 0.1, 0).history.length).toBe(0);
  });

  it('takes a plain SGD step on ½(a − target)²: w ← w − lr·(a − target)·tanh′(z)·x', () => {
    const lr = 0.1;
    const target = 0.2;
    const a = Math.tanh(1.5);
    const dz = (a - target) * (1 - a * a); // ∂loss/∂z by hand
    const { w, b, history } = trainNeuron(w0, b0, x, target, 'tanh', lr, 2);
    const w1 = 0.5 - lr * dz; // both weights see x = 1
    const b1 = 0.5 - lr * dz;
    // history[1] is taken after the first update and before the second
    expectClose(history[1].z, 2 * w1 + b1, 1e-14, 1e-12, 'history[1].z');
    const a1 = Math.tanh(2 * w1 + b1);
    const dz1 = (a1 - target) * (1 - a1 * a1);
    expectClose(w[0], w1 - lr * dz1, 1e-14, 1e-12, 'w[0] after 2 steps');
    expectClose(w[1], w1 - lr * dz1, 1e-14, 1e-12, 'w[1] after 2 steps');
    expectClose(b, b1 - lr * dz1, 1e-14, 1e-12, 'b after 2 steps');
  });

  it('does not mutate the w it is given', () => {
    const w = [0.5, 0.5];
    trainNeuron(w, b0, x, 0.2, 'relu', 20, 3);
    expect(w).toEqual([0.5, 0.5]);
  });

  it('uses the default leaky slope 0.01 for leakyRelu', () => {
    // z = −2 < 0: a = −0.02, ∂loss/∂z = (a − 1)·0.01 = −0.0102
    const { w, b } = trainNeuron([-1, -1], 0, [1, 1], 1, 'leakyRelu', 1, 1);
    expectClose(w[0], -1 + 0.0102, 1e-14, 1e-12, 'w[0]');
    expectClose(b, 0.0102, 1e-14, 1e-12, 'b');
  });

  it('kills a ReLU neuron with one large update: z < 0 afterwards and w, b never change again', () => {
    // step 0: z = 1.5, a = 1.5, ∂loss/∂z = 1.5 − 0.2 = 1.3, so w and b drop by 20·1.3 = 26
    const one = trainNeuron(w0, b0, x, 0.2, 'relu', 20, 1);
    const many = trainNeuron(w0, b0, x, 0.2, 'relu', 20, 6);
    expectClose(one.w[0], 0.5 - 26, 1e-12, 0, 'w[0] after the push');
    expect(many.history[1].z).toBeLessThan(0);
    for (let t = 1; t < 6; t++) {
      expectClose(many.history[t].a, 0, 0, 0, `a at step ${t}`);
      expectClose(many.history[t].loss, 0.5 * 0.2 ** 2, 1e-15, 1e-12, `loss at step ${t}`); // stuck, not learned
    }
    // the gradient is exactly 0: not one bit of w or b moves after the first step
    expect(many.w).toEqual(one.w);
    expect(many.b).toBe(one.b);
  });

  it('pushes a tanh neuron into saturation with the same update, yet its weights keep moving', () => {
    const one = trainNeuron(w0, b0, x, 0.2, 'tanh', 20, 1);
    const many = trainNeuron(w0, b0, x, 0.2, 'tanh', 20, 6);
    const z1 = many.history[1].z;
    expect(z1).toBeLessThan(-5); // saturated: tanh′(z1) < 1e-3
    expect(1 - Math.tanh(z1) ** 2).toBeLessThan(1e-3);
    // tiny but nonzero gradient: every later step moves w a little, towards the target
    for (let t = 2; t < 6; t++) expect(many.history[t].z).toBeGreaterThan(many.history[t - 1].z);
    expect(many.w[0]).toBeGreaterThan(one.w[0]);
    expect(many.w[0] - one.w[0]).toBeLessThan(0.1);
  });
});
