import { describe, expect, it } from 'vitest';
import { createRng, randnMatrix } from '../lib/rng';
import type { ActivationName, Dense, Matrix, Rng } from '../lib/types';
import {
  activationBackward,
  denseBackward,
  denseForward,
  layerGradNorms,
  mlpBackward,
  mlpForward,
  mseLoss,
  neuronForward,
} from './backprop';
import { dot, numericGrad, relError, thrownBy } from '../lib/gradcheck';

// These tests import nothing from other exercises. Forward passes are recomputed here with plain
// loops, and every gradient is compared with central finite differences (h = 1e-5) of that
// independent forward pass, using the CS231n relative error.

const ACTS: ActivationName[] = ['sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'identity'];

/** The activations, written differently from the obvious code on purpose (σ(z) = ½(1 + tanh(z/2))). */
const refAct: Record<ActivationName, (z: number) => number> = {
  sigmoid: (z) => 0.5 * (1 + Math.tanh(z / 2)),
  tanh: Math.tanh,
  relu: (z) => (z > 0 ? z : 0),
  leakyRelu: (z) => (z > 0 ? z : 0.01 * z),
  elu: (z) => (z > 0 ? z : Math.expm1(z)),
  identity: (z) => z,
};

function expectClose(got: number, want: number, what: string, rtol = 1e-12, atol = 1e-12): void {
  expect(Number.isFinite(got), `${what}: got ${got}, a finite number was expected`).toBe(true);
  expect(
    Math.abs(got - want),
    `${what}: expected ${want}, got ${got} (|got − want| ≤ ${atol} + ${rtol}·|want|)`,
  ).toBeLessThanOrEqual(atol + rtol * Math.abs(want));
}

function expectShape(m: Matrix, rows: number, cols: number, what: string): void {
  expect(Array.isArray(m), `${what}: expected a matrix (number[][])`).toBe(true);
  expect(m.length, `${what}: expected ${rows} rows`).toBe(rows);
  m.forEach((row, i) => expect(row.length, `${what}[${i}]: expected ${cols} columns`).toBe(cols));
}

function expectMatrixClose(got: Matrix, want: Matrix, what: string, rtol = 1e-12, atol = 1e-12): void {
  expectShape(got, want.length, want[0]?.length ?? 0, what);
  want.forEach((row, i) => row.forEach((w, j) => expectClose(got[i][j], w, `${what}[${i}][${j}]`, rtol, atol)));
}

const flat = (m: Matrix): number[] => m.flat();

/** z = x·W + b with plain loops. */
function refDense(x: Matrix, layer: Dense): Matrix {
  return x.map((row) => layer.b.map((bj, j) => row.reduce((s, xi, i) => s + xi * layer.W[i][j], bj)));
}

/** act after every layer but the last, with plain loops. */
function refMlp(x: Matrix, layers: Dense[], act: ActivationName): Matrix {
  let h = x;
  layers.forEach((layer, i) => {
    const z = refDense(h, layer);
    h = i < layers.length - 1 ? z.map((row) => row.map(refAct[act])) : z;
  });
  return h;
}

function randomLayer(fanIn: number, fanOut: number, std: number, rng: Rng, biasStd = 0.3): Dense {
  return {
    W: randnMatrix(fanIn, fanOut, rng).map((row) => row.map((v) => std * v)),
    b: Array.from({ length: fanOut }, () => biasStd * rng.normal()),
  };
}

function randomNet(sizes: number[], std: (fanIn: number, fanOut: number) => number, rng: Rng, biasStd = 0.3): Dense[] {
  return sizes.slice(1).map((fanOut, i) => randomLayer(sizes[i], fanOut, std(sizes[i], fanOut), rng, biasStd));
}

describe('neuronForward', () => {
  it('gives z = 1.5 and a ≈ 0.9051 for w = [0.5, 0.5], b = 0.5, x = [1, 1] with tanh', () => {
    const { z, a } = neuronForward([0.5, 0.5], 0.5, [1, 1], 'tanh');
    expectClose(z, 1.5, 'z');
    expectClose(a, Math.tanh(1.5), 'a = tanh(1.5)');
    expectClose(a, 0.9051, 'a', 0, 5e-5);
  });

  it('computes z = w·x + b and applies the named activation', () => {
    const w = [1, -2, 0.5];
    const x = [0.3, 0.2, -1];
    const want = 0.3 - 0.4 - 0.5 + 0.1; // −0.5
    for (const act of ACTS) {
      const { z, a } = neuronForward(w, 0.1, x, act);
      expectClose(z, want, `z (${act})`);
      expectClose(a, refAct[act](want), `a (${act})`);
    }
  });

  it('gives exactly a = 0 with relu when z < 0', () => {
    const { z, a } = neuronForward([0.5, 0.5], -2, [1, 1], 'relu');
    expectClose(z, -1, 'z');
    expectClose(a, 0, 'a', 0, 0);
  });

  it('throws an Error when w and x have different lengths', () => {
    const err = thrownBy(() => neuronForward([1, 2, 3], 0, [1, 2], 'tanh'));
    expect(err, 'neuronForward([1, 2, 3], 0, [1, 2], …) should throw').toBeInstanceOf(Error);
  });
});

describe('denseForward', () => {
  it('computes z = x·W + b for a [2x3] batch and a [3x4] layer', () => {
    const x = [[1, 2, 3], [-1, 0.5, 2]];
    const layer: Dense = { W: [[1, 0, -1, 2], [0.5, 1, 0, -1], [2, -2, 1, 0]], b: [0.1, 0.2, 0.3, 0.4] };
    const z = denseForward(x, layer);
    expectShape(z, 2, 4, 'z');
    expectMatrixClose(z, refDense(x, layer), 'z');
    expectClose(z[0][0], 1 * 1 + 2 * 0.5 + 3 * 2 + 0.1, 'z[0][0] by hand');
  });

  it('adds the bias to every row', () => {
    const layer: Dense = { W: [[1, 2], [3, 4], [5, 6]], b: [-1, 7] };
    const z = denseForward([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]], layer);
    expectMatrixClose(z, Array.from({ length: 5 }, () => [-1, 7]), 'z for x = 0');
  });

  it('does not change its arguments', () => {
    const rng = createRng(3);
    const x = randnMatrix(4, 3, rng);
    const layer = randomLayer(3, 5, 1, rng);
    const before = JSON.stringify({ x, layer });
    denseForward(x, layer);
    expect(JSON.stringify({ x, layer }), 'x and the layer must be left as they were').toBe(before);
  });
});

describe('denseBackward', () => {
  it('returns dx [batch][fanIn], dW [fanIn][fanOut] and db [fanOut]', () => {
    const rng = createRng(11);
    const x = randnMatrix(5, 3, rng);
    const layer = randomLayer(3, 4, 1, rng);
    const { dx, dW, db } = denseBackward(randnMatrix(5, 4, rng), x, layer);
    expectShape(dx, 5, 3, 'dx');
    expectShape(dW, 3, 4, 'dW');
    expect(db.length, 'db: one entry per output unit').toBe(4);
  });

  it('gives dW = xᵀ·dz, an outer product for a single example', () => {
    const layer: Dense = { W: [[1, 0], [0, 1], [1, 1]], b: [0, 0] };
    const { dx, dW, db } = denseBackward([[1, 2]], [[3, 4, 5]], layer);
    expectMatrixClose(dW, [[3, 6], [4, 8], [5, 10]], 'dW');
    expectMatrixClose(dx, [[1, 2, 3]], 'dx = dz·Wᵀ');
    expectMatrixClose([db], [[1, 2]], 'db');
  });

  it('matches finite differences of L = Σ G ⊙ (x·W + b) for x, W and b (random G)', () => {
    const rng = createRng(12);
    const x = randnMatrix(5, 3, rng);
    const layer = randomLayer(3, 4, 1, rng);
    const G = randnMatrix(5, 4, rng);
    const { dx, dW, db } = denseBackward(G, x, layer);
    const L = (): number => dot(refDense(x, layer), G);
    const numDx = x.flatMap((row) => numericGrad(L, row));
    const numDW = layer.W.flatMap((row) => numericGrad(L, row));
    const numDb = numericGrad(L, layer.b);
    expect(relError(flat(dx), numDx), 'dx vs finite differences').toBeLessThanOrEqual(1e-7);
    expect(relError(flat(dW), numDW), 'dW vs finite differences').toBeLessThanOrEqual(1e-7);
    expect(relError(db, numDb), 'db vs finite differences').toBeLessThanOrEqual(1e-7);
  });

  it('gives db = the column sums of dz (the bias is shared by every row of the batch)', () => {
    const rng = createRng(13);
    const dz = randnMatrix(6, 2, rng);
    const { db } = denseBackward(dz, randnMatrix(6, 3, rng), randomLayer(3, 2, 1, rng));
    const want = [0, 1].map((j) => dz.reduce((s, row) => s + row[j], 0));
    expectMatrixClose([db], [want], 'db');
  });
});

describe('activationBackward', () => {
  it('returns da ⊙ act′(z) for every activation (finite differences, random da)', () => {
    const rng = createRng(21);
    const z = randnMatrix(4, 3, rng).map((row) => row.map((v) => 3 * v));
    const da = randnMatrix(4, 3, rng);
    for (const act of ACTS) {
      const dz = activationBackward(da, z, act);
      expectShape(dz, 4, 3, `dz (${act})`);
      const want = z.flatMap((row, i) => row.map((v, j) => da[i][j] * (refAct[act](v + 1e-5) - refAct[act](v - 1e-5)) / 2e-5));
      expect(relError(flat(dz), want), `dz (${act}) vs da ⊙ finite differences`).toBeLessThanOrEqual(1e-6);
    }
  });

  it('evaluates the derivative at the pre-activation z, not at act(z)', () => {
    const dz = activationBackward([[1, 1]], [[2, -1]], 'sigmoid');
    const sigmoidPrime = (v: number): number => 0.25 / Math.cosh(v / 2) ** 2;
    expectMatrixClose(dz, [[sigmoidPrime(2), sigmoidPrime(-1)]], 'dz');
  });

  it('is exactly 0 for relu at z ≤ 0, and uses slope 0.01 and α = 1 by default', () => {
    const da = [[3, 3, 3]];
    const z = [[0, -1, 2]];
    expectMatrixClose(activationBackward(da, z, 'relu'), [[0, 0, 3]], 'relu', 0, 0);
    expectMatrixClose(activationBackward(da, z, 'leakyRelu'), [[0.03, 0.03, 3]], 'leakyRelu');
    expectMatrixClose(activationBackward(da, z, 'elu'), [[3, 3 * Math.exp(-1), 3]], 'elu');
  });
});

describe('mlpForward', () => {
  it('matches a layer-by-layer computation, act between layers, for sizes [4, 6, 5, 3]', () => {
    const rng = createRng(31);
    const layers = randomNet([4, 6, 5, 3], () => 0.8, rng);
    const x = randnMatrix(7, 4, rng);
    for (const act of ACTS) {
      const { out } = mlpForward(x, layers, act);
      expectMatrixClose(out, refMlp(x, layers, act), `out (${act})`, 1e-10, 1e-12);
    }
  });

  it('leaves the last layer linear: with relu the outputs can still be negative', () => {
    const rng = createRng(32);
    const layers = randomNet([3, 8, 4], () => 1, rng);
    const { out } = mlpForward(randnMatrix(10, 3, rng), layers, 'relu');
    expectShape(out, 10, 4, 'out');
    expect(out.flat().some((v) => v < 0), 'no negative output: was relu applied after the last layer?').toBe(true);
  });

  it('with a single layer is just x·W + b, whatever the activation', () => {
    const rng = createRng(33);
    const layer = randomLayer(3, 2, 1, rng);
    const x = randnMatrix(4, 3, rng);
    expectMatrixClose(mlpForward(x, [layer], 'sigmoid').out, refDense(x, layer), 'out');
  });
});

describe('mlpBackward', () => {
  it('returns one LayerGrads per layer, input side first, each shaped like its layer', () => {
    const rng = createRng(41);
    const layers = randomNet([4, 6, 5, 3], () => 0.8, rng);
    const { cache } = mlpForward(randnMatrix(7, 4, rng), layers, 'tanh');
    const { dx, grads } = mlpBackward(randnMatrix(7, 3, rng), cache);
    expectShape(dx, 7, 4, 'dx');
    expect(grads.length, 'grads: one entry per layer').toBe(3);
    grads.forEach((g, i) => {
      expectShape(g.dW, layers[i].W.length, layers[i].W[0].length, `grads[${i}].dW`);
      expect(g.db.length, `grads[${i}].db`).toBe(layers[i].b.length);
    });
  });

  it.each(['tanh', 'sigmoid', 'relu', 'leakyRelu', 'elu'] as ActivationName[])(
    'matches finite differences for every W, b and for x with %s between layers (random dout)',
    (act) => {
      const rng = createRng(42);
      const layers = randomNet([4, 6, 5, 3], () => 0.8, rng);
      const x = randnMatrix(7, 4, rng);
      const G = randnMatrix(7, 3, rng);
      const { cache } = mlpForward(x, layers, act);
      const { dx, grads } = mlpBackward(G, cache);
      const L = (): number => dot(refMlp(x, layers, act), G);
      layers.forEach((layer, i) => {
        const numDW = layer.W.flatMap((row) => numericGrad(L, row));
        const numDb = numericGrad(L, layer.b);
        expect(relError(flat(grads[i].dW), numDW), `grads[${i}].dW (${act})`).toBeLessThanOrEqual(1e-6);
        expect(relError(grads[i].db, numDb), `grads[${i}].db (${act})`).toBeLessThanOrEqual(1e-6);
      });
      const numDx = x.flatMap((row) => numericGrad(L, row));
      expect(relError(flat(dx), numDx), `dx (${act})`).toBeLessThanOrEqual(1e-6);
    },
  );
});

describe('mseLoss', () => {
  it('is (1 / 2N) Σ ‖pred − target‖² with N the number of rows, and dpred = (pred − target) / N', () => {
    const pred = [[1, 2, 0], [3, 4, 1]];
    const target = [[0, 2, 0], [3, 6, 1]];
    const { loss, dpred } = mseLoss(pred, target);
    expectClose(loss, (1 + 4) / (2 * 2), 'loss'); // not / (number of entries)
    expectMatrixClose(dpred, [[0.5, 0, 0], [0, -1, 0]], 'dpred');
  });

  it('is 0 with dpred = 0 when pred equals target', () => {
    const { loss, dpred } = mseLoss([[1, -2], [3, 0.5], [7, 7]], [[1, -2], [3, 0.5], [7, 7]]);
    expectClose(loss, 0, 'loss', 0, 0);
    expectMatrixClose(dpred, [[0, 0], [0, 0], [0, 0]], 'dpred', 0, 0);
  });

  it('returns the gradient of its own loss (finite differences)', () => {
    const rng = createRng(51);
    const pred = randnMatrix(4, 3, rng);
    const target = randnMatrix(4, 3, rng);
    const { dpred } = mseLoss(pred, target);
    const num = pred.flatMap((row) => numericGrad(() => mseLoss(pred, target).loss, row));
    expect(relError(flat(dpred), num), 'dpred vs finite differences of loss').toBeLessThanOrEqual(1e-7);
  });
});

describe('layerGradNorms', () => {
  it('returns the Frobenius norm of each dW, input side first, ignoring db', () => {
    const norms = layerGradNorms([
      { dW: [[3, 4]], db: [100] },
      { dW: [[1], [2], [2]], db: [-50] },
    ]);
    expect(norms.length, 'one norm per layer').toBe(2);
    expectClose(norms[0], 5, 'norm of [[3, 4]]');
    expectClose(norms[1], 3, 'norm of [[1], [2], [2]]');
  });

  it('returns an empty list for no layers', () => {
    expect(layerGradNorms([]), 'layerGradNorms([])').toEqual([]);
  });

  it('shows the vanishing gradient: a 10-layer sigmoid net (Xavier) gives its first layer < 1e-3 of the last one\'s norm', () => {
    const rng = createRng(61);
    const sizes = [16, 32, 32, 32, 32, 32, 32, 32, 32, 32, 4];
    const layers = randomNet(sizes, (fanIn, fanOut) => Math.sqrt(2 / (fanIn + fanOut)), rng, 0);
    const { out, cache } = mlpForward(randnMatrix(16, 16, rng), layers, 'sigmoid');
    const { dpred } = mseLoss(out, randnMatrix(16, 4, rng));
    const norms = layerGradNorms(mlpBackward(dpred, cache).grads);
    expect(norms.length).toBe(10);
    expect(norms[0] / norms[9], `‖dW₁‖ / ‖dW₁₀‖ with sigmoid, norms ${norms.map((n) => n.toExponential(2)).join(', ')}`).toBeLessThan(1e-3);
  });

  it('and the same depth with ReLU and He weights keeps the first layer within 100× of the last', () => {
    const rng = createRng(62);
    const sizes = [16, 32, 32, 32, 32, 32, 32, 32, 32, 32, 4];
    const layers = randomNet(sizes, (fanIn) => Math.sqrt(2 / fanIn), rng, 0);
    const { out, cache } = mlpForward(randnMatrix(16, 16, rng), layers, 'relu');
    const { dpred } = mseLoss(out, randnMatrix(16, 4, rng));
    const norms = layerGradNorms(mlpBackward(dpred, cache).grads);
    const ratio = norms[0] / norms[9];
    expect(ratio, `‖dW₁‖ / ‖dW₁₀‖ with relu, norms ${norms.map((n) => n.toExponential(2)).join(', ')}`).toBeGreaterThan(1e-2);
    expect(ratio, '‖dW₁‖ / ‖dW₁₀‖ with relu').toBeLessThan(1e2);
  });
});
