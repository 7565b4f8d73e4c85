/**
 * The claims of ../shared/spec/COURSE.md that hold for the reference solutions, each checked
 * against an independent computation (closed forms, Math.tanh, hand arithmetic).
 */
import { describe, expect, it } from 'vitest';
import * as act from '../solutions/01-activations/activations';
import { neuronForward } from '../solutions/02-backprop/backprop';
import { gradientFlow, trainNeuron } from '../solutions/06-dead-neurons/diagnostics';

const close = (got: number, want: number, rtol: number, atol = 0) =>
  expect(Math.abs(got - want), `got ${got}, want ${want}`).toBeLessThanOrEqual(atol + rtol * Math.abs(want));

describe('01: activations', () => {
  it('σ′ ≤ 0.25 everywhere, with its maximum 0.25 exactly at 0', () => {
    expect(act.sigmoidGrad(0)).toBe(0.25);
    for (let x = -60; x <= 60; x += 0.01) expect(act.sigmoidGrad(x)).toBeLessThanOrEqual(0.25);
  });

  it('0.25^10 ≈ 9.54e-7: the best a 10-layer sigmoid chain can do', () => {
    close(act.sigmoidGrad(0) ** 10, 9.5367431640625e-7, 0);
  });

  it('tanh′(10) ≈ 8.2446e-9: small but not zero', () => {
    const sech2 = 1 / Math.cosh(10) ** 2; // 8.24461446e-9, an independent formula
    close(act.tanhGrad(10), sech2, 1e-6);
    close(act.tanhGrad(10), 8.2446e-9, 1e-4);
    expect(act.tanhGrad(10)).toBeGreaterThan(0);
  });

  it('every function is finite at ±1000, where exp(x)/(1+exp(x)) is NaN', () => {
    expect(Math.exp(1000) / (1 + Math.exp(1000))).toBeNaN();
    for (const x of [-1000, 1000]) {
      for (const f of [act.sigmoid, act.sigmoidGrad, act.tanh, act.tanhGrad, act.relu, act.reluGrad, act.leakyRelu, act.leakyReluGrad, act.elu, act.eluGrad]) {
        expect(Number.isFinite(f(x)), `${f.name}(${x})`).toBe(true);
      }
    }
    expect(act.sigmoid(1000)).toBe(1);
    expect(act.sigmoid(-1000)).toBe(0);
  });

  it('ReLU′ is exactly 0 for every x ≤ 0, including 0', () => {
    for (const x of [0, -0, -1e-8, -1.5, -1000]) expect(act.reluGrad(x)).toBe(0);
    expect(act.reluGrad(1e-8)).toBe(1);
  });
});

describe('02: the single tanh neuron', () => {
  it('w = [0.5, 0.5], b = 0.5, x = [1, 1] gives z = 1.5 and a = tanh(1.5) ≈ 0.9051', () => {
    const { z, a } = neuronForward([0.5, 0.5], 0.5, [1, 1], 'tanh');
    expect(z).toBe(1.5);
    close(a, Math.tanh(1.5), 1e-15);
    close(a, 0.9051, 0, 5e-5);
  });
});

describe('06: the dead-neuron story', () => {
  // One large step (lr = 1 towards target −10) drives z = 1.5 far below 0.
  const w0 = [0.5, 0.5], b0 = 0.5, x = [1, 1], target = -10, lr = 1;

  it('ReLU: after the first step z < 0, the gradient is exactly 0 and w, b never change again', () => {
    const run = trainNeuron(w0, b0, x, target, 'relu', lr, 5);
    // by hand: a = 1.5, dz = (1.5 + 10)·1 = 11.5, so w = 0.5 − 11.5 = −11 and b = −11, z = −33
    expect(run.history[0]).toEqual({ z: 1.5, a: 1.5, loss: 0.5 * 11.5 ** 2 });
    expect(run.history[1].z).toBe(-33);
    expect(run.w).toEqual([-11, -11]);
    expect(run.b).toBe(-11);
    for (const h of run.history.slice(1)) expect(h).toEqual({ z: -33, a: 0, loss: 50 });
    const more = trainNeuron(run.w, run.b, x, target, 'relu', lr, 100);
    expect(more.w).toEqual(run.w);
    expect(more.b).toBe(run.b);
  });

  it('tanh: the same push saturates it (tanh′ < 1e-3) but the weights keep moving', () => {
    const run = trainNeuron(w0, b0, x, target, 'tanh', lr, 3);
    const t = Math.tanh(1.5);
    const dz = (t - target) * (1 - t * t);
    close(run.history[1].z, 3 * (0.5 - dz), 1e-14);
    expect(run.history[1].z).toBeLessThan(-4);
    expect(1 - Math.tanh(run.history[1].z) ** 2).toBeLessThan(1e-3);
    expect(run.history[2].z).not.toBe(run.history[1].z);
    expect(run.w[0]).not.toBe(0.5 - dz);
  });

  it('gradientFlow: first/last < 1e-2 vanishing, > 1e2 exploding, boundaries healthy', () => {
    expect(gradientFlow([1e-6, 1])).toBe('vanishing');
    expect(gradientFlow([1e3, 1])).toBe('exploding');
    expect(gradientFlow([1e-2, 1])).toBe('healthy');
    expect(gradientFlow([1e2, 1])).toBe('healthy');
    expect(() => gradientFlow([])).toThrow('at least one');
  });
});
