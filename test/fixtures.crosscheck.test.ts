/**
 * Independent checks of the fixtures, so a bug in a reference solution cannot bless itself:
 * - activation values and derivatives against mathjs, differentiating symbolically and
 *   evaluating in 60-digit BigNumber arithmetic (so e^1000 in the symbolic σ′ does not overflow
 *   as it would in float64; every grid point is compared, ±1000 included);
 * - every backward pass against central finite differences of the forward pass, h = 1e-5 in
 *   float64, CS231n relative error max |a − b| / max(1e-8, |a| + |b|) ≤ 1e-7, with every probe
 *   at least 1e-3 from a kink (the generator draws inputs that way; entries at a kink are skipped).
 * Not in the grading path: this file may import mathjs.
 */
import { all, create } from 'mathjs';
import { describe, expect, it } from 'vitest';
import type { Dense, Matrix } from '../exercises/lib/types';
import { loadFixture, rebuildTrainingTask, trainingRunStats, type ActivationFnName } from '../fixtures/load';
import * as A from '../solutions/01-activations/activations';
import * as B from '../solutions/02-backprop/backprop';
import * as BN from '../solutions/04-batchnorm/batchnorm';
import * as R from '../solutions/05-residual/residual';
import { trainNeuron } from '../solutions/06-dead-neurons/diagnostics';

const H = 1e-5;
const FD_MAX = 1e-7;
const KINK = 1e-3;

/** CS231n relative error, the max over entries. */
function relError(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - b[i]) / Math.max(1e-8, Math.abs(x) + Math.abs(b[i]))); });
  return worst;
}
const flat = (m: Matrix | number[]): number[] => (m as (number | number[])[]).flat() as number[];
const clone = <T>(v: T): T => structuredClone(v);

/**
 * Central differences with respect to every entry of v (mutated in place, then restored):
 * `diff(up, down)` turns the two evaluations into (loss(v + h) − loss(v − h)); `h(i)` is the
 * step (1e-5 unless said).
 */
function central<T>(v: number[], evaluate: () => T, diff: (up: T, down: T) => number, h: (i: number) => number = () => H): number[] {
  return v.map((x, i) => {
    v[i] = x + h(i);
    const up = evaluate();
    v[i] = x - h(i);
    const down = evaluate();
    v[i] = x;
    return diff(up, down) / (2 * h(i));
  });
}
/** d loss / dv for a scalar loss. */
function fdVector(v: number[], loss: () => number): number[] {
  return central(v, loss, (up, down) => up - down);
}
/**
 * d (Σ dout ⊙ forward()) / dv, differencing the outputs entry by entry before weighting them, so
 * the rounding of one large sum does not swamp small gradient entries.
 */
function fdDot(v: number[], dout: Matrix, forward: () => Matrix, h?: (i: number) => number): number[] {
  return central(v, forward, (up, down) => up.reduce((s, row, i) => s + row.reduce((t, u, j) => t + dout[i][j] * (u - down[i][j]), 0), 0), h);
}
function fdDotMatrix(m: Matrix, dout: Matrix, forward: () => Matrix, h?: (j: number) => number): Matrix {
  return m.map((row) => fdDot(row, dout, forward, h));
}

/** Records the worst relative error of each check, for the summary test at the end. */
const worst: Record<string, number> = {};
function expectGrad(what: string, analytic: Matrix | number[], numeric: Matrix | number[]): void {
  const a = flat(analytic);
  const n = flat(numeric);
  const keep = n.map((v) => !Number.isNaN(v));
  const err = relError(a.filter((_, i) => keep[i]), n.filter((_, i) => keep[i]));
  worst[what] = Math.max(worst[what] ?? 0, err);
  expect(err, `${what}: finite differences disagree`).toBeLessThanOrEqual(FD_MAX);
}

describe('activation fixtures against mathjs symbolic derivatives', () => {
  const m = create(all, { number: 'BigNumber', precision: 60 });
  /** Each function's expression on each side of 0; at 0 the x ≤ 0 branch (so ReLU′(0) = 0). */
  const branches: Record<string, { pos: string; neg: string }> = {
    sigmoid: { pos: '1 / (1 + exp(-x))', neg: '1 / (1 + exp(-x))' },
    tanh: { pos: 'tanh(x)', neg: 'tanh(x)' },
    relu: { pos: 'x', neg: '0' },
    leakyRelu: { pos: 'x', neg: 'p * x' },
    elu: { pos: 'x', neg: 'p * (exp(x) - 1)' },
  };
  const defaults: Record<string, number> = { leakyRelu: 0.01, elu: 1 };
  const compiled = new Map<string, { evaluate(scope: object): unknown }>();
  function exact(fn: ActivationFnName, x: number, param: number | null): number {
    const base = fn.endsWith('Grad') ? fn.slice(0, -4) : fn;
    const expr = x > 0 ? branches[base].pos : branches[base].neg;
    const key = `${fn}:${expr}`;
    if (!compiled.has(key)) compiled.set(key, fn.endsWith('Grad') ? m.derivative(expr, 'x') : m.parse(expr));
    const p = param ?? defaults[base] ?? 0;
    const v = compiled.get(key)!.evaluate({ x: m.bignumber(x), p: m.bignumber(p) });
    return typeof v === 'number' ? v : Number(v as { toString(): string });
  }

  for (const name of ['grid', 'grid-public']) {
    it(`${name}: every value is within rtol 1e-9, atol 1e-12 of the 60-digit symbolic result`, () => {
      const f = loadFixture('01-activations', name, 'activation-grid');
      expect(f.tolerance).toEqual({ type: 'allclose', rtol: 1e-9, atol: 1e-12 });
      let checked = 0;
      for (const c of f.cases) {
        c.inputs.x.forEach((x, i) => {
          const want = exact(c.inputs.fn, x, c.inputs.param);
          const got = c.expected.y[i];
          expect(Number.isFinite(got), `${c.label} at ${x}`).toBe(true);
          expect(Math.abs(got - want), `${c.label} at x = ${x}: fixture ${got}, mathjs ${want}`).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(want));
          checked++;
        });
      }
      expect(checked).toBe(f.cases.length * f.cases[0].inputs.x.length);
    });
  }

  it('activationBackward: dz = da × the symbolic derivative at every entry (at exact zeros, the x ≤ 0 branch)', () => {
    const derivative = { sigmoid: 'sigmoidGrad', tanh: 'tanhGrad', relu: 'reluGrad', leakyRelu: 'leakyReluGrad', elu: 'eluGrad' } as const;
    for (const name of ['activation-backward', 'activation-backward-public']) {
      for (const c of loadFixture('02-backprop', name, 'activation-backward').cases) {
        c.inputs.z.forEach((row, i) => row.forEach((z, j) => {
          const slope = c.inputs.act === 'identity' ? 1 : exact(derivative[c.inputs.act], z, null);
          const want = c.inputs.da[i][j] * slope;
          expect(Math.abs(c.expected.dz[i][j] - want), `${c.label} at z = ${z}`).toBeLessThanOrEqual(1e-12 + 1e-9 * Math.abs(want));
          if (z === 0) expect(c.expected.dz[i][j] === want, `${c.label} at z = 0`).toBe(true);
        }));
      }
    }
  });
});

describe('backward-pass fixtures against central finite differences', () => {
  it('dense: dx, dW, db', () => {
    for (const name of ['dense', 'dense-public']) {
      for (const c of loadFixture('02-backprop', name, 'dense').cases) {
        const { x, layer, dz } = clone(c.inputs);
        const forward = () => B.denseForward(x, layer);
        expectGrad('dense dx', c.expected.dx, fdDotMatrix(x, dz, forward));
        expectGrad('dense dW', c.expected.dW, fdDotMatrix(layer.W, dz, forward));
        expectGrad('dense db', c.expected.db, fdDot(layer.b, dz, forward));
      }
    }
  });

  it('activationBackward: dz for every activation, away from the kink and where float64 resolves act′', () => {
    let probed = 0;
    let skipped = 0;
    for (const name of ['activation-backward', 'activation-backward-public']) {
      for (const c of loadFixture('02-backprop', name, 'activation-backward').cases) {
        const { z, da, act } = c.inputs;
        const { f, df } = B.activationFns(act);
        // Element-wise: only the probed entry's term of Σ da ⊙ f(z) changes, so difference that term.
        // Rounding f(z ± h) costs about 1.1e-11·|f(z)|; where that exceeds 1e-8·|f′(z)| (sigmoid
        // beyond |z| ≈ 6.9, tanh beyond ≈ 4.1, e.g. the ±12 entries) float64 cannot resolve f′ by
        // differences, and the symbolic check above covers the entry instead.
        const numeric = z.map((row, i) => row.map((v, j) => {
          probed++;
          if (Math.abs(v) < KINK || 1.1e-11 * Math.abs(f(v)) > 1e-8 * Math.abs(df(v))) {
            skipped++;
            return NaN;
          }
          return da[i][j] * (f(v + H) - f(v - H)) / (2 * H);
        }));
        expectGrad(`activationBackward ${act}`, c.expected.dz, numeric);
      }
    }
    expect(skipped / probed).toBeLessThan(0.25);
  });

  it('mlp: dx and every layer\'s dW and db, for every activation', () => {
    for (const name of ['mlp', 'mlp-public']) {
      for (const c of loadFixture('02-backprop', name, 'mlp').cases) {
        const { x, layers, dout, act } = clone(c.inputs);
        const forward = () => B.mlpForward(x, layers, act).out;
        expectGrad(`mlp dx ${act}`, c.expected.dx, fdDotMatrix(x, dout, forward));
        layers.forEach((layer: Dense, i: number) => {
          expectGrad(`mlp dW ${act}`, c.expected.grads[i].dW, fdDotMatrix(layer.W, dout, forward));
          expectGrad(`mlp db ${act}`, c.expected.grads[i].db, fdDot(layer.b, dout, forward));
        });
      }
    }
  });

  it('mseLoss: dpred', () => {
    for (const name of ['mse-loss', 'mse-loss-public']) {
      for (const c of loadFixture('02-backprop', name, 'mse-loss').cases) {
        const { pred, target } = clone(c.inputs);
        expectGrad('mse dpred', c.expected.dpred, pred.map((row) => fdVector(row, () => B.mseLoss(pred, target).loss)));
      }
    }
  });

  it('batch norm, train and eval: dx, dγ, dβ at every step', () => {
    let train = 0;
    let evals = 0;
    for (const name of ['batchnorm', 'batchnorm-public', 'batchnorm-options']) {
      for (const c of loadFixture('04-batchnorm', name, 'batchnorm').cases) {
        c.inputs.steps.forEach((step, k) => {
          const state = k === 0 ? c.inputs.state : c.expected.steps[k - 1].state;
          const params = clone(c.inputs.params);
          const x = clone(step.x);
          const forward = () => BN.batchnormForward(x, params, state, step.mode, c.inputs.opts).out;
          const want = c.expected.steps[k];
          // The low-variance feature (std σ ≈ 0.01 around a mean of 2) has a truncation error
          // ∝ (h/σ)² (1.4e-7 at h = 1e-5) and a rounding error ∝ ε·|mean|/(σ·h): h = 1e-6 balances
          // them there (≈ 2e-8); every other feature (σ > 0.1) keeps h = 1e-5.
          const spread = x[0].map((_, j) => Math.sqrt(x.reduce((s, row) => s + (row[j] - x.reduce((t, r) => t + r[j], 0) / x.length) ** 2, 0) / x.length));
          expectGrad(`batchnorm ${step.mode} dx`, want.dx, fdDotMatrix(x, step.dout, forward, (j) => (spread[j] < 0.1 ? H / 10 : H)));
          expectGrad(`batchnorm ${step.mode} dgamma`, want.dgamma, fdDot(params.gamma, step.dout, forward));
          expectGrad(`batchnorm ${step.mode} dbeta`, want.dbeta, fdDot(params.beta, step.dout, forward));
          if (step.mode === 'train') train++; else evals++;
        });
      }
    }
    expect([train, evals]).toEqual([9, 5]);
  });

  it('residual blocks: dx, dW₁, db₁, dW₂, db₂ for every activation', () => {
    for (const name of ['residual', 'residual-public']) {
      for (const c of loadFixture('05-residual', name, 'residual').cases) {
        const { x, block, dout } = clone(c.inputs);
        const forward = () => R.residualForward(x, block).out;
        expectGrad(`residual dx ${block.act}`, c.expected.dx, fdDotMatrix(x, dout, forward));
        block.layers.forEach((layer, i) => {
          expectGrad(`residual dW ${block.act}`, c.expected.grads[i].dW, fdDotMatrix(layer.W, dout, forward));
          expectGrad(`residual db ${block.act}`, c.expected.grads[i].db, fdDot(layer.b, dout, forward));
        });
      }
    }
  });

  it('trainNeuron: the first step moves w and b by −lr × the finite-difference gradient of ½(a − target)²', () => {
    for (const name of ['train-neuron', 'train-neuron-public', 'dead-neuron-story']) {
      for (const c of loadFixture('06-dead-neurons', name, 'train-neuron').cases) {
        const { w, b, x, target, act, lr } = clone(c.inputs);
        const one = trainNeuron(w, b, x, target, act, lr, 1);
        const step = [...w.map((wi, i) => (wi - one.w[i]) / lr), (b - one.b) / lr];
        const params = [...w, b];
        const loss = () => {
          const a = B.neuronForward(params.slice(0, -1), params[params.length - 1], x, act).a;
          return 0.5 * (a - target) ** 2;
        };
        expectGrad(`trainNeuron ${act}`, step, fdVector(params, loss));
        if (c.inputs.steps === 1) expect([...c.expected.w, c.expected.b]).toEqual([...one.w, one.b]);
        expect(c.expected.history[0]).toEqual({ ...B.neuronForward(w, b, x, act), loss: loss() });
      }
    }
  });

  it('ran every check above, each with a worst relative error ≤ 1e-7', () => {
    const checks = Object.keys(worst);
    expect(checks.length).toBeGreaterThan(30);
    for (const k of checks) expect(worst[k], k).toBeLessThanOrEqual(FD_MAX);
  });
});

// ---------------------------------------------------------------------------------------------
// 07: a trainer written here with plain loops (its gradient checked against central differences
// of the loss), and the clipping rule recomputed entry by entry.

describe('07-training fixtures against an independent trainer', () => {
  type Net = Dense[];
  type Grads = { dW: Matrix; db: number[] }[];
  const act: Record<string, { f: (z: number) => number; df: (z: number) => number }> = {
    sigmoid: { f: (z) => 0.5 * (1 + Math.tanh(z / 2)), df: (z) => 0.25 * (1 - Math.tanh(z / 2) ** 2) },
    tanh: { f: Math.tanh, df: (z) => 1 / Math.cosh(z) ** 2 },
    relu: { f: (z) => Math.max(0, z), df: (z) => (z > 0 ? 1 : 0) },
    leakyRelu: { f: (z) => (z > 0 ? z : 0.01 * z), df: (z) => (z > 0 ? 1 : 0.01) },
    elu: { f: (z) => (z > 0 ? z : Math.exp(z) - 1), df: (z) => (z > 0 ? 1 : Math.exp(z)) },
    identity: { f: (z) => z, df: () => 1 },
  };
  /** Loss and gradients, one example at a time: (1/2N) Σ‖pred − y‖², backpropagated by hand. */
  function lossGrads(x: Matrix, y: Matrix, net: Net, a: string): { loss: number; grads: Grads; minAbsZ: number } {
    const grads: Grads = net.map((l) => ({ dW: l.W.map((r) => r.map(() => 0)), db: l.b.map(() => 0) }));
    let loss = 0;
    let minAbsZ = Infinity;
    const n = x.length;
    x.forEach((row, e) => {
      const hs: number[][] = [row];
      const zs: number[][] = [];
      net.forEach((l, k) => {
        const h = hs[k];
        const z = l.b.map((b, j) => h.reduce((s, v, i) => s + v * l.W[i][j], b));
        zs.push(z);
        if (k < net.length - 1) z.forEach((v) => { minAbsZ = Math.min(minAbsZ, Math.abs(v)); });
        hs.push(k < net.length - 1 ? z.map(act[a].f) : z);
      });
      const out = hs[net.length];
      let dz = out.map((p, j) => (p - y[e][j]) / n);
      out.forEach((p, j) => { loss += (p - y[e][j]) ** 2 / (2 * n); });
      for (let k = net.length - 1; k >= 0; k--) {
        const h = hs[k];
        h.forEach((v, i) => dz.forEach((d, j) => { grads[k].dW[i][j] += v * d; }));
        dz.forEach((d, j) => { grads[k].db[j] += d; });
        if (k > 0) dz = h.map((_, i) => dz.reduce((s, d, j) => s + d * net[k].W[i][j], 0) * act[a].df(zs[k - 1][i]));
      }
    });
    return { loss, grads, minAbsZ };
  }
  /** Activations whose derivative jumps at 0: no probe or trained pre-activation may sit near it. */
  const KINKED = ['relu', 'leakyRelu'];
  const all = (g: Grads): number[] => g.flatMap((l) => [...l.dW.flat(), ...l.db]);
  const norm = (g: Grads): number => Math.hypot(...all(g));
  function train(x: Matrix, y: Matrix, net0: Net, a: string, lr: number, steps: number, clipNorm: number | null) {
    let net = structuredClone(net0);
    const history: { loss: number; gradNorm: number; firstLayerGradNorm: number }[] = [];
    let minAbsZ = Infinity;
    for (let t = 0; t < steps; t++) {
      const { loss, grads, minAbsZ: m } = lossGrads(x, y, net, a);
      minAbsZ = Math.min(minAbsZ, m);
      const g = norm(grads);
      history.push({ loss, gradNorm: g, firstLayerGradNorm: Math.hypot(...grads[0].dW.flat()) });
      const k = clipNorm !== null && g > clipNorm ? clipNorm / g : 1;
      net = net.map((l, i) => ({ W: l.W.map((r, p) => r.map((w, q) => w - lr * k * grads[i].dW[p][q])), b: l.b.map((b, q) => b - lr * k * grads[i].db[q]) }));
    }
    return { layers: net, history, minAbsZ };
  }

  it('the hand-written gradient agrees with central differences of the loss on every train-mlp case', () => {
    for (const name of ['train-mlp', 'train-mlp-public']) {
      for (const c of loadFixture('07-training', name, 'train-mlp').cases) {
        const { x, y, layers, act: a } = clone(c.inputs);
        const { grads, minAbsZ } = lossGrads(x, y, layers, a);
        if (KINKED.includes(a)) expect(minAbsZ, c.label).toBeGreaterThan(KINK);
        layers.forEach((l, k) => {
          l.W.forEach((row, i) => expectGrad(`07 dW ${a}`, grads[k].dW[i], fdVector(row, () => lossGrads(x, y, layers, a).loss)));
          expectGrad(`07 db ${a}`, grads[k].db, fdVector(l.b, () => lossGrads(x, y, layers, a).loss));
        });
      }
    }
  });

  it('globalGradNorm and clipGradNorm: Math.hypot over every entry, and one factor min(1, maxNorm / norm) for all of them', () => {
    for (const name of ['clip-grad-norm', 'clip-grad-norm-public']) {
      for (const c of loadFixture('07-training', name, 'clip-grad-norm').cases) {
        const { grads, maxNorm } = c.inputs;
        const n = norm(grads);
        expect(relError([c.expected.norm], [n]), c.label).toBeLessThanOrEqual(1e-14);
        const k = n > maxNorm ? maxNorm / n : 1;
        expect(relError(all(c.expected.clipped), all(grads).map((v) => v * k)), c.label).toBeLessThanOrEqual(1e-14);
        if (k === 1) expect(c.expected.clipped, c.label).toEqual(grads);
      }
    }
  });

  it('sgdStep: W − lr·dW and b − lr·db, entry by entry', () => {
    for (const name of ['sgd-step', 'sgd-step-public']) {
      for (const c of loadFixture('07-training', name, 'sgd-step').cases) {
        const { layers, grads, lr } = c.inputs;
        const want = layers.flatMap((l, i) => [...l.W.flat().map((w, p) => w - lr * grads[i].dW.flat()[p]), ...l.b.map((b, q) => b - lr * grads[i].db[q])]);
        expect(relError(c.expected.layers.flatMap((l) => [...l.W.flat(), ...l.b]), want), c.label).toBeLessThanOrEqual(1e-15);
      }
    }
  });

  it('trainMlp: the whole history and the final layers, every case, within 1e-10', () => {
    for (const name of ['train-mlp', 'train-mlp-public']) {
      for (const c of loadFixture('07-training', name, 'train-mlp').cases) {
        const i = c.inputs;
        const r = train(i.x, i.y, i.layers, i.act, i.lr, i.steps, i.clipNorm);
        if (KINKED.includes(i.act)) expect(r.minAbsZ, `${c.label}: a pre-activation near the kink`).toBeGreaterThan(KINK);
        const h = (hs: typeof r.history) => hs.flatMap((e) => [e.loss, e.gradNorm, e.firstLayerGradNorm]);
        expect(relError(h(c.expected.history), h(r.history)), c.label).toBeLessThanOrEqual(1e-10);
        const p = (ls: Dense[]) => ls.flatMap((l) => [...l.W.flat(), ...l.b]);
        expect(relError(p(c.expected.layers), p(r.layers)), c.label).toBeLessThanOrEqual(1e-10);
        // the case says how often clipping acts: check it does
        const clipped = r.history.filter((e) => i.clipNorm !== null && e.gradNorm > i.clipNorm).length;
        if (c.label.includes('every step')) expect(clipped, c.label).toBe(i.steps);
        if (c.label.includes('some steps')) expect(clipped > 0 && clipped < i.steps, `${c.label}: ${clipped} steps clipped`).toBe(true);
        if (c.label.includes('never reached')) expect(clipped, c.label).toBe(0);
      }
    }
  });

  it('the training runs: the same statistics from the independent trainer, on the recipes’ exact tasks', () => {
    for (const name of ['vanishing', 'exploding']) {
      for (const run of loadFixture('07-training', name, 'training-run').runs) {
        const t = rebuildTrainingTask(run.recipe);
        const r = train(t.x, t.y, t.layers, run.recipe.act, run.opts.lr, run.opts.steps, run.opts.clipNorm);
        const s = trainingRunStats(r.history, t.constantLoss);
        if (run.expected.firstNonFinite !== null) {
          // Math.hypot here does not overflow where the reference's sum of squares does (step 2):
          // the step it becomes non-finite may differ, the explosion may not
          expect(s.growth === null || s.growth > 1e100, `${run.label}: growth ${s.growth}`).toBe(true);
          expect(relError([s.firstLoss], [run.expected.firstLoss]), run.label).toBeLessThanOrEqual(1e-12);
          continue;
        }
        expect(s.firstNonFinite, run.label).toBeNull();
        for (const key of ['constantLoss', 'firstLoss', 'lastLoss', 'lastOverConstant', 'lastOverFirst', 'firstLayerShare', 'growth'] as const) {
          const [got, want] = [s[key], run.expected[key]];
          if (want === null) expect(got, `${run.label} ${key}`).toBeNull();
          else expect(relError([got as number], [want]), `${run.label} ${key}`).toBeLessThanOrEqual(1e-6);
        }
      }
    }
  });
});
