import { describe, expect, it } from 'vitest';
import { createRng, randnMatrix } from '../lib/rng';
import { add, addRowVector, frobeniusNorm, map, matmul, zeros, zerosVector } from '../lib/tensor';
import type { ActivationName, Dense, Matrix, Vector } from '../lib/types';
import { residualBackward, residualForward } from './residual';
import type { ResidualBlock } from './residual';
import { dot, numericGrad, relError } from '../lib/gradcheck';

// These tests import nothing from other exercises: the block's branch F is recomputed here with
// ../lib/tensor, and every gradient is checked against central finite differences of YOUR
// residualForward.

/** |got − want| ≤ atol + rtol·|want|, entry by entry, with a message that says where. */
function expectMatrixClose(got: Matrix, want: Matrix, atol: number, rtol: number, what: string): void {
  expect(got.length, `${what}: rows`).toBe(want.length);
  want.forEach((row, i) => {
    expect(got[i].length, `${what}[${i}]: columns`).toBe(row.length);
    row.forEach((w, j) => {
      const g = got[i][j];
      const ok = Math.abs(g - w) <= atol + rtol * Math.abs(w);
      expect(ok, `${what}[${i}][${j}]: expected ${w}, got ${g} (atol ${atol}, rtol ${rtol})`).toBe(true);
    });
  });
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const activations: Record<'sigmoid' | 'tanh' | 'relu', (z: number) => number> = {
  sigmoid,
  tanh: Math.tanh,
  relu: (z) => (z > 0 ? z : 0),
};

/** A square Dense layer with N(0, std²) weights and N(0, 0.1²) biases. */
function randomLayer(d: number, std: number, seed: number): Dense {
  const rng = createRng(seed);
  return {
    W: map(randnMatrix(d, d, rng), (v) => v * std),
    b: Array.from({ length: d }, () => 0.1 * rng.normal()),
  };
}

function randomBlock(d: number, act: ResidualBlock['act'], seed: number): ResidualBlock {
  return { layers: [randomLayer(d, 0.8, seed), randomLayer(d, 0.8, seed + 1)], act };
}

/** F(x) = act(x·W₁ + b₁)·W₂ + b₂, written out with the tensor helpers. */
function branch(x: Matrix, block: ResidualBlock, f: (z: number) => number): Matrix {
  const h = map(addRowVector(matmul(x, block.layers[0].W), block.layers[0].b), f);
  return addRowVector(matmul(h, block.layers[1].W), block.layers[1].b);
}

/** Checks dx and both layers' dW, db against finite differences of residualForward. */
function checkAgainstFiniteDifferences(n: number, d: number, act: ActivationName, seed: number): void {
  const rng = createRng(seed);
  const block: ResidualBlock = { layers: [randomLayer(d, 0.8, seed + 1), randomLayer(d, 0.8, seed + 2)], act };
  const x = randnMatrix(n, d, rng);
  const dout = randnMatrix(n, d, rng); // a random upstream gradient, not ones
  const { dx, grads } = residualBackward(dout, residualForward(x, block).cache);
  const loss = (): number => dot(residualForward(x, block).out, dout);
  expect(relError(dx.flat(), x.map((_, i) => numericGrad(loss, x[i])).flat()), 'dx').toBeLessThanOrEqual(1e-7);
  for (const k of [0, 1] as const) {
    const layer = block.layers[k];
    const numDW = layer.W.map((_, i) => numericGrad(loss, layer.W[i])).flat();
    expect(relError(grads[k].dW.flat(), numDW), `grads[${k}].dW`).toBeLessThanOrEqual(1e-7);
    expect(relError(grads[k].db, numericGrad(loss, layer.b)), `grads[${k}].db`).toBeLessThanOrEqual(1e-7);
  }
}

describe('residualForward', () => {
  it('returns x + F(x) with F(x) = act(x·W₁ + b₁)·W₂ + b₂ (no activation after the sum)', () => {
    for (const act of ['sigmoid', 'tanh', 'relu'] as const) {
      const block = randomBlock(4, act, 10);
      const x = randnMatrix(3, 4, createRng(11)); // a batch of 3, width 4
      const { out } = residualForward(x, block);
      expectMatrixClose(out, add(x, branch(x, block, activations[act])), 1e-12, 1e-10, `out (${act})`);
    }
  });

  it('is exactly the identity when the second layer is all zeros', () => {
    const block: ResidualBlock = { layers: [randomLayer(5, 1, 12), { W: zeros(5, 5), b: zerosVector(5) }], act: 'tanh' };
    const x = randnMatrix(2, 5, createRng(13));
    expectMatrixClose(residualForward(x, block).out, x, 0, 0, 'out');
  });

  it('does not change its input x or the block', () => {
    const block = randomBlock(3, 'sigmoid', 14);
    const x = randnMatrix(4, 3, createRng(15));
    const before = JSON.stringify({ x, block });
    residualForward(x, block);
    expect(JSON.stringify({ x, block })).toBe(before);
  });
});

describe('residualBackward', () => {
  it('matches finite differences of your forward pass for dx and both layers (sigmoid, batch 3, width 4)', () => {
    checkAgainstFiniteDifferences(3, 4, 'sigmoid', 20);
  });

  it('matches finite differences of your forward pass with tanh (batch 5, width 3)', () => {
    checkAgainstFiniteDifferences(5, 3, 'tanh', 30);
  });

  it('passes dout through unchanged when the branch is switched off (W₂ = 0): dx = dout', () => {
    const block: ResidualBlock = { layers: [randomLayer(4, 1, 40), { W: zeros(4, 4), b: zerosVector(4) }], act: 'sigmoid' };
    const x = randnMatrix(3, 4, createRng(41));
    const dout = randnMatrix(3, 4, createRng(42));
    const { dx, grads } = residualBackward(dout, residualForward(x, block).cache);
    expectMatrixClose(dx, dout, 0, 0, 'dx');
    // with W₂ = 0 nothing reaches the first layer: its gradients are 0
    expectMatrixClose(grads[0].dW, zeros(4, 4), 0, 0, 'grads[0].dW');
    expectMatrixClose([grads[0].db], [zerosVector(4)], 0, 0, 'grads[0].db');
  });

  it('gives the second layer dW₂ = hᵀ·dout and db₂ = Σ dout, with h = act(x·W₁ + b₁)', () => {
    const block = randomBlock(3, 'tanh', 50);
    const x = randnMatrix(4, 3, createRng(51));
    const dout = randnMatrix(4, 3, createRng(52));
    const { grads } = residualBackward(dout, residualForward(x, block).cache);
    const h = map(addRowVector(matmul(x, block.layers[0].W), block.layers[0].b), Math.tanh);
    const wantDW2 = h[0].map((_, i) => dout[0].map((_g, j) => h.reduce((s, row, k) => s + row[i] * dout[k][j], 0)));
    const wantDb2: Vector = dout[0].map((_, j) => dout.reduce((s, row) => s + row[j], 0));
    expectMatrixClose(grads[1].dW, wantDW2, 1e-12, 1e-10, 'grads[1].dW');
    expectMatrixClose([grads[1].db], [wantDb2], 1e-12, 1e-10, 'grads[1].db');
  });

  it('keeps the gradient alive through 50 sigmoid blocks (width 32, Xavier-normal): ‖dx₀‖ / ‖dx₅₀‖ stays near 1', () => {
    const rng = createRng(60);
    const d = 32;
    const std = Math.sqrt(2 / (d + d)); // Xavier-normal
    const layer = (): Dense => ({ W: map(randnMatrix(d, d, rng), (v) => v * std), b: zerosVector(d) });
    const caches: unknown[] = [];
    let h = randnMatrix(8, d, rng);
    for (let l = 0; l < 50; l++) {
      const r = residualForward(h, { layers: [layer(), layer()], act: 'sigmoid' });
      caches.push(r.cache);
      h = r.out;
    }
    let g = randnMatrix(8, d, rng);
    const top = frobeniusNorm(g);
    for (let l = 49; l >= 0; l--) g = residualBackward(g, caches[l]).dx;
    const ratio = frobeniusNorm(g) / top;
    // a plain 50-layer sigmoid network would give about 1e-32 here
    expect(ratio).toBeGreaterThanOrEqual(0.5);
    expect(ratio).toBeLessThanOrEqual(5);
  });
});
