/**
 * The phenomena of COURSE.md, as numbers recorded in the fixtures: vanishing gradients, what
 * initialization and batch norm and skip connections do about them, saturation and dead units.
 * Each assertion states its tolerance; the recorded limits must contain the recorded values.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frobeniusNorm } from '../exercises/lib/tensor';
import { loadFixture, listFixtureFiles, rebuildMlp, rebuildResidualStack, runStatistic, type Fixture, type Limit } from '../fixtures/load';
import { entryStd, flatStd, preActivations, preActivationsFlat } from '../fixtures/nets';
import { createRng } from '../exercises/lib/rng';
import { initMlp } from '../solutions/03-initialization/init';
import { sigmoid, sigmoidGrad, tanh, tanhGrad } from '../solutions/01-activations/activations';

const within = (v: number, l: Limit) => v >= l.lo && v <= l.hi;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('01 activations on the contract grid', () => {
  const f = loadFixture('01-activations', 'grid', 'activation-grid');
  const series = (label: string) => {
    const c = f.cases.find((k) => k.label === label);
    if (!c) throw new Error(`no case ${label}`);
    return (x: number) => c.expected.y[c.inputs.x.indexOf(x)];
  };

  it('covers 0, ±1e-8, ±1.5, ±10, ±50, ±1000, and every function with and without its parameter', () => {
    for (const x of [0, 1e-8, -1e-8, 1.5, -1.5, 10, -10, 50, -50, 1000, -1000]) expect(f.cases[0].inputs.x).toContain(x);
    expect(f.cases.map((c) => c.label)).toEqual([
      'sigmoid(x)', 'sigmoidGrad(x)', 'tanh(x)', 'tanhGrad(x)', 'relu(x)', 'reluGrad(x)', 'leakyRelu(x)', 'leakyReluGrad(x)',
      'leakyRelu(x, 0.1)', 'leakyReluGrad(x, 0.1)', 'elu(x)', 'eluGrad(x)', 'elu(x, 0.5)', 'eluGrad(x, 0.5)']);
    for (const c of f.cases) for (const y of c.expected.y) expect(Number.isFinite(y)).toBe(true);
  });

  it('σ′ ≤ 0.25 everywhere, exactly 0.25 at 0', () => {
    const c = f.cases.find((k) => k.label === 'sigmoidGrad(x)')!;
    expect(Math.max(...c.expected.y)).toBe(0.25);
    expect(series('sigmoidGrad(x)')(0)).toBe(0.25);
  });

  it('tanh′(10) ≈ 8.2446e-9: tiny but not zero (within 2e-8 relative of sech²(10) = 8.24461445577e-9)', () => {
    const v = series('tanhGrad(x)')(10);
    expect(rel(v, 8.24461445577e-9)).toBeLessThan(2e-8);
    expect(series('tanhGrad(x)')(50)).toBe(0);
  });

  it('ReLU′ is exactly 0 for every x ≤ 0 and leaky/ELU parameters change the numbers', () => {
    const c = f.cases.find((k) => k.label === 'reluGrad(x)')!;
    c.inputs.x.forEach((x, i) => expect(c.expected.y[i]).toBe(x > 0 ? 1 : 0));
    expect(series('leakyReluGrad(x)')(-1.5)).toBe(0.01);
    expect(series('leakyReluGrad(x, 0.1)')(-1.5)).toBe(0.1);
    expect(series('leakyRelu(x, 0.1)')(-10)).toBe(-1);
    expect(series('elu(x)')(-1000)).toBe(-1);
    expect(series('elu(x, 0.5)')(-1000)).toBe(-0.5);
    expect(series('eluGrad(x, 0.5)')(0)).toBe(0.5);
    expect(series('sigmoid(x)')(-1000)).toBe(0);
    expect(series('sigmoid(x)')(1000)).toBe(1);
  });
});

describe('02 the vanishing gradient', () => {
  it('starts from the contract example: neuronForward([0.5, 0.5], 0.5, [1, 1], tanh) → z = 1.5, a ≈ 0.9051', () => {
    for (const name of ['neuron', 'neuron-public']) {
      const c = loadFixture('02-backprop', name, 'neuron-forward').cases[0];
      expect(c.inputs).toEqual({ w: [0.5, 0.5], b: 0.5, x: [1, 1], act: 'tanh' });
      expect(c.expected.z).toBe(1.5);
      expect(Math.abs(c.expected.a - 0.9051)).toBeLessThan(5e-5);
    }
  });

  const sig = loadFixture('02-backprop', 'vanishing-sigmoid-xavier', 'deep-mlp-gradients');
  const relu = loadFixture('02-backprop', 'vanishing-relu-he', 'deep-mlp-gradients');
  const sn = loadFixture('02-backprop', 'saturation-sigmoid-standard-normal', 'deep-mlp-gradients');

  it('10 sigmoid layers of width 32, Xavier-normal: ‖dW₁‖/‖dW₁₀‖ between 1e-6 and 1e-5 (4.79e-6 here), shrinking at every layer', () => {
    expect(sig.recipe.sizes.length - 1).toBe(10);
    expect(sig.expected.gradNorms.length).toBe(10);
    expect(rel(sig.expected.ratioFirstLast, 4.7947e-6)).toBeLessThan(1e-4);
    expect(sig.expected.flow).toBe('vanishing');
    sig.expected.gradNorms.slice(1).forEach((g, i) => expect(g).toBeGreaterThan(sig.expected.gradNorms[i]));
    expect(within(sig.expected.ratioFirstLast, sig.limits.ratioFirstLast)).toBe(true);
  });

  it('the same network with ReLU/He keeps the ratio of order 1 (0.61 here)', () => {
    expect(relu.recipe.seed).toBe(sig.recipe.seed);
    expect(rel(relu.expected.ratioFirstLast, 0.61499)).toBeLessThan(1e-4);
    expect(relu.expected.flow).toBe('healthy');
    expect(relu.expected.saturation).toBeNull();
    expect(within(relu.expected.ratioFirstLast, relu.limits.ratioFirstLast)).toBe(true);
  });

  it('with N(0, 1) weights it saturates instead: 21% of hidden pre-activations have σ′ < 0.01, yet the ratio stays 0.064', () => {
    expect(sn.expected.flow).toBe('healthy');
    expect(rel(sn.expected.ratioFirstLast, 0.064222)).toBeLessThan(1e-4);
    expect(sn.expected.saturation?.threshold).toBe(0.01);
    expect(rel(sn.expected.saturation!.overall, 0.21039)).toBeLessThan(1e-4);
    expect(sig.expected.saturation!.overall).toBe(0);
    expect(within(sn.expected.saturation!.overall, sn.limits.saturationOverall)).toBe(true);
  });

  it('no pre-activation of the saturation fixture sits within 1e-9 (relative) of the σ′ threshold, so a correct forward cannot flip an entry', () => {
    const { x, layers } = rebuildMlp(sn.recipe);
    let margin = Infinity;
    for (const z of preActivations(x, layers, sigmoid).slice(0, -1)) for (const row of z) for (const v of row) margin = Math.min(margin, Math.abs(sigmoidGrad(v) - 0.01) / 0.01);
    expect(margin).toBeGreaterThan(1e-9);
  });
});

describe('03 initialization', () => {
  it('init-stats: every measured statistic lies inside its limits and every usual mistake outside the std limits', () => {
    for (const name of ['init-stats', 'init-stats-public']) {
      for (const c of loadFixture('03-initialization', name, 'init-stats').cases) {
        expect(c.measured.length).toBe(c.inputs.seeds.length);
        for (const m of c.measured) {
          expect(within(m.mean, c.limits.mean), `${c.label} mean`).toBe(true);
          expect(within(m.std, c.limits.std), `${c.label} std`).toBe(true);
          expect(within(m.maxAbs, c.limits.maxAbs), `${c.label} maxAbs`).toBe(true);
        }
        expect(c.expected.mistakes.length).toBeGreaterThan(0);
        for (const k of c.expected.mistakes) expect(within(k.std, c.limits.std), `${c.label}: ${k.label}`).toBe(false);
      }
    }
  });

  it('256×128 tells the schemes apart: Xavier std 0.0722, fan-in only 0.0625, He 0.0884', () => {
    const cases = loadFixture('03-initialization', 'init-stats-public', 'init-stats').cases;
    const xn = cases.find((c) => c.label === 'xavierNormal(256, 128)')!;
    const he = cases.find((c) => c.label === 'heNormal(256, 128)')!;
    expect(xn.expected.std.toFixed(4)).toBe('0.0722');
    expect(xn.expected.mistakes[0].std.toFixed(4)).toBe('0.0625');
    expect(he.expected.std.toFixed(4)).toBe('0.0884');
    expect(he.expected.mistakes[0]).toEqual({ label: 'fanOut instead of fanIn', std: 0.125 });
    expect(xn.expected.shape).toEqual([256, 128]);
  });

  it('the hidden shapes (256×96, 96×256, 416×64) give every catalogued mistake of a function its own std (3% apart at least), so a match names one', () => {
    const cases = loadFixture('03-initialization', 'init-stats', 'init-stats').cases;
    expect([...new Set(cases.map((c) => `${c.inputs.fanIn}x${c.inputs.fanOut}`))]).toEqual(['256x96', '96x256', '416x64']);
    for (const c of cases) {
      const stds = c.expected.mistakes.map((k) => k.std);
      stds.forEach((a, i) => stds.forEach((b, j) => { if (i < j) expect(Math.abs(a / b - 1), `${c.label}: ${c.expected.mistakes[i].label} vs ${c.expected.mistakes[j].label}`).toBeGreaterThan(0.06); }));
    }
    // two fan-ins and two fan sums: no one scale fits every hidden shape of a scheme (its std limits are ±3%)
    for (const fn of ['xavierNormal', 'heNormal']) {
      const stds = cases.filter((c) => c.inputs.fn === fn).map((c) => c.expected.std);
      expect(Math.max(...stds) / Math.min(...stds), fn).toBeGreaterThan(1.1);
    }
    // at 256×128 Xavier with the fan-out only coincides with He: why those shapes are not the hidden ones
    const pub = loadFixture('03-initialization', 'init-stats-public', 'init-stats').cases.find((c) => c.label === 'xavierNormal(256, 128)')!;
    const std = (label: string) => pub.expected.mistakes.find((k) => k.label.startsWith(label))!.std;
    expect(std('fan-out only')).toBe(std('He instead'));
  });

  it('init-mlp: every layer of every scheme within its limits', () => {
    for (const c of loadFixture('03-initialization', 'init-mlp', 'init-mlp').cases) {
      expect(c.expected.layers.map((l) => l.shape)).toEqual([[256, 128], [128, 64], [64, 10]]);
      for (const seedStats of c.measured) {
        seedStats.forEach((m, i) => {
          const l = c.limits.layers[i];
          expect(within(m.mean, l.mean) && within(m.std, l.std) && within(m.maxAbs, l.maxAbs), `${c.label} layer ${i}`).toBe(true);
        });
      }
    }
  });

  it('20 ReLU layers of width 128: He keeps layer 20 within ×3 of layer 1 (0.93), Xavier shrinks it to 2⁻¹⁰ of He', () => {
    const f = loadFixture('03-initialization', 'relu-depth', 'init-forward');
    const [he, xavier] = f.expected.byScheme;
    expect([he.scheme, xavier.scheme]).toEqual(['heNormal', 'xavierNormal']);
    expect(f.recipe.sizes).toEqual(new Array(21).fill(128));
    expect(f.draws).toEqual({ heNormal: 4, xavierNormal: 3 });
    expect(he.preActStd.length).toBe(20);
    expect(rel(he.ratioLastFirst, 0.93432)).toBeLessThan(1e-4);
    expect(within(he.ratioLastFirst, f.limits.heRatioLastFirst)).toBe(true);
    // ReLU is positively homogeneous and the Xavier draws are the He draws / √2: exactly 2⁻¹⁰ at layer 20
    expect(rel(xavier.preActStd[19] / he.preActStd[19], 2 ** -10)).toBeLessThan(1e-12);
    expect(rel(xavier.ratioLastFirst, 1.2904e-3)).toBeLessThan(1e-4);
    expect(within(xavier.ratioLastFirst, f.limits.xavierRatioLastFirst)).toBe(true);
  });

  it('standard-normal tanh at width 256: 79% of layer 5\'s entries have tanh′ < 1e-3, none with Xavier, no unit saturated for every example', () => {
    const f = loadFixture('03-initialization', 'tanh-saturation', 'init-forward');
    const [sn, xavier] = f.expected.byScheme;
    expect(f.threshold).toBe(1e-3);
    expect(f.recipe.sizes).toEqual(new Array(6).fill(256));
    expect(f.draws).toEqual({ standardNormal: 1, xavierNormal: 1 });
    expect(sn.saturatedFraction![4]).toBe(0.78729248046875);
    expect(xavier.saturatedFraction![4]).toBe(0);
    expect(sn.unitsSaturatedForAll).toBe(0);
    expect(within(sn.saturatedFraction![4], f.limits.standardNormalLayer5)).toBe(true);
    expect(within(xavier.saturatedFraction![4], f.limits.xavierNormalLayer5)).toBe(true);
    // no entry within 1e-9 (relative) of the threshold, so a correct forward cannot flip one
    let margin = Infinity;
    for (const scheme of ['standardNormal', 'xavierNormal'] as const) {
      const { x, layers } = rebuildMlp({ ...f.recipe, init: scheme });
      for (const z of preActivations(x, layers, tanh)) for (const row of z) for (const v of row) margin = Math.min(margin, Math.abs(tanhGrad(v) - 1e-3) / 1e-3);
    }
    expect(margin).toBeGreaterThan(1e-9);
  });
});

describe('the grader\'s flat forward pass (03\'s hidden experiments)', () => {
  it('gives bit for bit the numbers of preActivations and entryStd: both 03 networks with the reference initMlp, and zeros, −0 and negative inputs', () => {
    const flat = (m: number[][]) => Float64Array.from(m.flat());
    const cases: [string, 'relu' | 'tanh', 'heNormal' | 'xavierNormal' | 'standardNormal'][] = [
      ['relu-depth', 'relu', 'heNormal'], ['relu-depth', 'relu', 'xavierNormal'],
      ['tanh-saturation', 'tanh', 'standardNormal'], ['tanh-saturation', 'tanh', 'xavierNormal'],
    ];
    let compared = 0;
    for (const [name, act, scheme] of cases) {
      const f = loadFixture('03-initialization', name, 'init-forward');
      const x = rebuildMlp(f.recipe).x;
      const layers = initMlp(f.recipe.sizes, scheme, createRng(f.recipe.seed));
      const fn = act === 'relu' ? (z: number) => (z > 0 ? z : 0) : tanh;
      const nested = preActivations(x, layers, fn);
      const flatZs = preActivationsFlat(flat(x), x.length, layers.map((l) => ({ rows: l.W.length, cols: l.W[0].length, W: flat(l.W), b: Float64Array.from(l.b) })), fn);
      expect(flatZs.length).toBe(nested.length);
      nested.forEach((z, k) => {
        expect(flatZs[k]).toEqual(flat(z)); // toEqual on Float64Arrays compares with Object.is per entry
        expect(Object.is(flatStd(flatZs[k]), entryStd(z))).toBe(true);
        compared += z.length * z[0].length;
      });
    }
    expect(compared).toBe(64 * (128 * (20 + 20) + 256 * (5 + 5)));
    const W = [[0, -0, 2], [-1, 0.5, -0]];
    const x = [[0, -0], [-3, 1e-300], [2, -2]];
    const small = preActivationsFlat(flat(x), 3, [{ rows: 2, cols: 3, W: flat(W), b: Float64Array.from([-0, 1, -1]) }], (z) => z);
    const want = preActivations(x, [{ W, b: [-0, 1, -1] }], (z) => z)[0];
    want.flat().forEach((v, t) => expect(Object.is(small[0][t], v)).toBe(true));
  });
});

describe('04 batch normalization', () => {
  it('train steps update the running stats with momentum 0.1 and the unbiased variance; eval leaves them unchanged', () => {
    for (const name of ['batchnorm', 'batchnorm-public', 'batchnorm-options']) {
      const c = loadFixture('04-batchnorm', name, 'batchnorm').cases[0];
      const momentum = c.inputs.opts.momentum ?? 0.1;
      let state = c.inputs.state;
      c.inputs.steps.forEach((step, k) => {
        const want = c.expected.steps[k];
        const n = step.x.length;
        if (step.mode === 'eval') {
          expect(want.state).toEqual(state);
        } else {
          step.x[0].forEach((_, j) => {
            const col = step.x.map((r) => r[j]);
            const mean = col.reduce((s, v) => s + v, 0) / n;
            const unbiased = col.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
            expect(rel(want.state.runningMean[j], (1 - momentum) * state.runningMean[j] + momentum * mean)).toBeLessThan(1e-12);
            expect(rel(want.state.runningVar[j], (1 - momentum) * state.runningVar[j] + momentum * unbiased)).toBeLessThan(1e-12);
            // Σᵢ dx = 0 per feature in train mode
            const sumDx = want.dx.reduce((s, r) => s + r[j], 0);
            expect(Math.abs(sumDx)).toBeLessThan(1e-12 * want.dx.reduce((s, r) => s + Math.abs(r[j]), 0) * n);
          });
        }
        state = want.state;
      });
    }
  });

  it('uses random γ ≠ 1, small N (3–5) and, in batchnorm.json, a low-variance feature whose output variance is v/(v + ε) ≈ 0.85', () => {
    const c = loadFixture('04-batchnorm', 'batchnorm', 'batchnorm').cases[0];
    expect(c.inputs.params.gamma.every((g) => g !== 1)).toBe(true);
    expect(c.inputs.steps[0].x.length).toBe(5);
    const k = c.inputs.steps.findIndex((s) => s.mode === 'train');
    const step = c.inputs.steps[k];
    const col = step.x.map((r) => r[5]);
    const mean = col.reduce((s, v) => s + v, 0) / 5;
    const v = col.reduce((s, x) => s + (x - mean) ** 2, 0) / 5;
    const out = c.expected.steps[k].out.map((r) => (r[5] - c.inputs.params.beta[5]) / c.inputs.params.gamma[5]);
    const outVar = out.reduce((s, x) => s + x * x, 0) / 5;
    expect(rel(outVar, v / (v + 1e-5))).toBeLessThan(1e-9);
    expect(outVar).toBeLessThan(0.95);
  });

  it('restores the gradient of the deep sigmoid network (ratio 4.4e-6 → 0.75) and un-saturates a layer (39% → 0%)', () => {
    const f = loadFixture('04-batchnorm', 'batchnorm-deep', 'batchnorm-deep');
    const e = f.expected;
    expect(rel(e.withoutBn.ratioFirstLast, 4.4306e-6)).toBeLessThan(1e-4);
    expect(rel(e.withBn.ratioFirstLast, 0.74514)).toBeLessThan(1e-4);
    expect(e.withBn.gradNorms[0] / e.withoutBn.gradNorms[0]).toBeGreaterThan(1e5);
    expect(rel(e.saturated.before.saturatedFraction, 0.3916)).toBeLessThan(1e-3);
    expect(e.saturated.after.saturatedFraction).toBe(0);
    expect(e.saturated.after.maxAbsMean).toBeLessThan(1e-12);
    expect(e.saturated.after.minVar).toBeGreaterThan(0.9999);
    expect(e.saturated.after.maxVar).toBeLessThanOrEqual(1);
    const L = f.limits;
    expect(within(e.withoutBn.ratioFirstLast, L.withoutBnRatio) && within(e.withBn.ratioFirstLast, L.withBnRatio)).toBe(true);
    expect(within(e.saturated.before.saturatedFraction, L.beforeSaturatedFraction) && within(e.saturated.after.saturatedFraction, L.afterSaturatedFraction)).toBe(true);
    expect(within(e.saturated.after.maxAbsMean, L.afterMaxAbsMean) && within(e.saturated.after.minVar, L.afterVar) && within(e.saturated.after.maxVar, L.afterVar)).toBe(true);
  });
});

describe('05 skip connections', () => {
  it('50 sigmoid blocks keep ‖dx₀‖/‖dx₅₀‖ at 1.52; the plain 50-layer network falls to 5.8e-32', () => {
    const f = loadFixture('05-residual', 'residual-depth', 'residual-depth');
    const e = f.expected;
    expect(e.residualDxNorms.length).toBe(51);
    expect(rel(e.residualRatio, 1.52483)).toBeLessThan(1e-5);
    expect(e.residualRatio).toBeGreaterThan(1.4);
    expect(e.residualRatio).toBeLessThan(2.1);
    expect(rel(e.plain.ratio, 5.7782e-32)).toBeLessThan(1e-4);
    expect(e.plain.gradNorms.length).toBe(50);
    // the last entry is ‖dout‖ itself, of the recipe's exact dout
    expect(e.residualDxNorms[50]).toBe(frobeniusNorm(rebuildResidualStack(f.recipes.residual).dout));
    expect(within(e.residualRatio, f.limits.residualRatio) && within(e.plain.ratio, f.limits.plainRatio)).toBe(true);
  });
});

describe('06 dead neurons and saturation', () => {
  it('a ReLU layer 64 → 256 (He, 1000 inputs) is 0%, 21%, 76%, 97% and 100% dead at bias 0, −4, −5, −6, −8', () => {
    const f = loadFixture('06-dead-neurons', 'dead-relu-bias', 'dead-relu-bias');
    expect(f.expected.byBias).toEqual([
      { bias: 0, deadUnits: 0, fraction: 0 },
      { bias: -4, deadUnits: 54, fraction: 54 / 256 },
      { bias: -5, deadUnits: 194, fraction: 194 / 256 },
      { bias: -6, deadUnits: 248, fraction: 248 / 256 },
      { bias: -8, deadUnits: 256, fraction: 1 },
    ]);
    const limits = [f.limits.bias0, f.limits.bias4, f.limits.bias5, f.limits.bias6, f.limits.bias8];
    f.expected.byBias.forEach((b, i) => expect(within(b.fraction, limits[i])).toBe(true));
  });

  it('the dead-neuron story: ReLU frozen exactly after one large step, tanh saturated but still moving', () => {
    const cases = loadFixture('06-dead-neurons', 'dead-neuron-story', 'train-neuron').cases;
    const get = (label: string) => cases.find((c) => c.label === label)!;
    for (const c of cases) expect(c.inputs).toMatchObject({ w: [0.5, 0.5], b: 0.5, x: [1, 1], target: 0.5, lr: 50 });

    const relu1 = get('relu, 1 step');
    const relu10 = get('relu, 10 steps');
    expect(relu1.expected.history[0]).toEqual({ z: 1.5, a: 1.5, loss: 0.5 });
    // frozen: the same w and b after 1 and after 10 steps, bit for bit; z stays at −148.5
    expect(relu10.expected.w).toEqual(relu1.expected.w);
    expect(relu10.expected.b).toBe(relu1.expected.b);
    expect(relu10.expected.history.slice(1).every((h) => h.z === -148.5 && h.a === 0 && h.loss === 0.125)).toBe(true);

    const tanh1 = get('tanh, 1 step');
    const tanh10 = get('tanh, 10 steps');
    const z1 = tanh10.expected.history[1].z;
    expect(z1).toBeLessThan(-9);
    const g = tanhGrad(z1);
    expect(g).toBeGreaterThan(1e-9);
    expect(g).toBeLessThan(1e-7);
    // moving: w changes after the first step and z rises at every step
    expect(tanh10.expected.w[0]).not.toBe(tanh1.expected.w[0]);
    const zs = tanh10.expected.history.map((h) => h.z);
    zs.slice(2).forEach((z, i) => expect(z).toBeGreaterThan(zs[i + 1]));

    const leaky10 = get('leakyRelu, 10 steps');
    expect(leaky10.expected.history[2].z - leaky10.expected.history[1].z).toBeGreaterThan(2);
  });

  it('gradientFlow: exactly 1e-2 and 1e2 are healthy, and the first norm is the input side', () => {
    const cases = loadFixture('06-dead-neurons', 'gradient-flow', 'gradient-flow').cases;
    const flows = Object.fromEntries(cases.map((c) => [c.label, c.expected.flow]));
    expect(flows).toEqual({
      'ratio exactly 1e-2 is healthy': 'healthy',
      'ratio 2/200 = 1e-2 is healthy': 'healthy',
      'ratio just below 1e-2 is vanishing': 'vanishing',
      'ratio exactly 1e2 is healthy': 'healthy',
      'ratio just above 1e2 is exploding': 'exploding',
      'input side first: a large first norm is exploding': 'exploding',
      'one layer': 'healthy',
      'vanishing over ten layers': 'vanishing',
      'the middle does not matter, only first and last': 'healthy',
    });
    expect(cases[0].expected.ratio).toBe(0.01);
    expect(cases[3].expected.ratio).toBe(100);
  });

  it('saturatedFraction: a custom threshold changes the answer; deadUnitFraction counts a column of zeros as dead', () => {
    const sat = loadFixture('06-dead-neurons', 'saturated-fraction-public', 'saturated-fraction').cases;
    expect(sat.map((c) => c.expected.fraction)).toEqual([0.5, 4 / 6, 0.5]);
    const dead = loadFixture('06-dead-neurons', 'dead-fraction-public', 'dead-fraction').cases;
    expect(dead[0].expected.fraction).toBe(0.5);
    const hidden = loadFixture('06-dead-neurons', 'dead-fraction', 'dead-fraction').cases;
    expect(hidden.map((c) => c.expected.fraction).slice(0, 4)).toEqual([2 / 3, 0.6, 1, 0]);
  });
});

describe('07 training a deep network', () => {
  const runs = (name: string) => loadFixture('07-training', name, 'training-run').runs;
  const run = (name: string, label: string) => runs(name).find((r) => r.label === label)!.expected;

  it('the task: 10 layers of width 12, 16 examples, 60 steps at lr 0.05, and the mean predictor costs 0.5', () => {
    for (const r of [...runs('vanishing'), ...runs('exploding')]) {
      expect(r.recipe.sizes).toEqual([4, 12, 12, 12, 12, 12, 12, 12, 12, 12, 1]);
      expect([r.recipe.batch, r.opts.lr, r.opts.steps]).toEqual([16, 0.05, 60]);
      expect(rel(r.expected.constantLoss, 0.5)).toBeLessThan(1e-14);
    }
  });

  it('sigmoid/Xavier: 0.680 → 0.500, the mean predictor’s loss (ratio 1.0000004), first-layer share 2.8e-6', () => {
    const e = run('vanishing', 'sigmoid, Xavier-normal');
    expect(e.firstLoss.toFixed(3)).toBe('0.680');
    expect(e.lastLoss!.toFixed(3)).toBe('0.500');
    expect(e.lastOverConstant!.toFixed(7)).toBe('1.0000004');
    expect(e.firstLayerShare.toExponential(1)).toBe('2.8e-6');
  });

  it('ReLU/He: 0.712 → 0.060 (0.12 of the mean predictor’s), first-layer share 0.18', () => {
    const e = run('vanishing', 'ReLU, He-normal');
    expect(e.firstLoss.toFixed(3)).toBe('0.712');
    expect(e.lastLoss!.toPrecision(2)).toBe('0.060');
    expect(e.lastOverConstant!.toPrecision(2)).toBe('0.12');
    expect(e.firstLayerShare.toFixed(2)).toBe('0.18');
  });

  it('He × 1.5 on the ReLU/He run\'s own seed and draws: loss 1004, not finite from step 2 without clipping; with clipNorm 5 it ends at 0.049, never above its first loss or norm (4.9e-5 of the first loss)', () => {
    const he = runs('vanishing').find((r) => r.label === 'ReLU, He-normal')!;
    for (const r of runs('exploding')) expect({ ...r.recipe, gain: 1 }).toEqual(he.recipe);
    const wild = run('exploding', 'ReLU, He-normal × 1.5, no clipping');
    expect(wild.firstLoss.toFixed(0)).toBe('1004');
    expect([wild.firstNonFinite, wild.growth, wild.lastLoss]).toEqual([2, null, null]);
    expect(wild.firstLayerShare.toPrecision(2)).toBe('0.099');
    const clipped = run('exploding', 'ReLU, He-normal × 1.5, clipNorm 5');
    expect(clipped.firstLoss).toBe(wild.firstLoss);
    expect(clipped.lastLoss!.toPrecision(2)).toBe('0.049');
    expect(clipped.growth).toBe(1);
    expect(clipped.lastOverFirst!.toExponential(1)).toBe('4.9e-5');
    expect(clipped.firstNonFinite).toBeNull();
  });

  it('every reference run is inside its own limits, orders of magnitude from their edges', () => {
    for (const r of [...runs('vanishing'), ...runs('exploding')]) {
      for (const [key, lim] of Object.entries(r.limits)) {
        const v = runStatistic(r.expected, key);
        expect(within(v, lim), `${r.label} ${key} = ${v}`).toBe(true);
      }
    }
  });
});

describe('coverage of the contract', () => {
  it('every function of exercises.json appears in some fixture', () => {
    const manifest = JSON.parse(readFileSync(new URL('../exercises/exercises.json', import.meta.url), 'utf8')) as { exercises: { slug: string; functions: string[] }[] };
    const byKind: Record<Fixture['kind'], string[]> = {
      'activation-grid': ['sigmoid', 'sigmoidGrad', 'tanh', 'tanhGrad', 'relu', 'reluGrad', 'leakyRelu', 'leakyReluGrad', 'elu', 'eluGrad'],
      'neuron-forward': ['neuronForward'], 'dense': ['denseForward', 'denseBackward'], 'activation-backward': ['activationBackward'],
      'mlp': ['mlpForward', 'mlpBackward', 'layerGradNorms'], 'mse-loss': ['mseLoss'], 'deep-mlp-gradients': ['mlpForward', 'mlpBackward', 'layerGradNorms'],
      'init-stats': ['xavierUniform', 'xavierNormal', 'heUniform', 'heNormal'], 'init-mlp': ['initMlp'], 'init-forward': ['initMlp'],
      'batchnorm': ['batchnormForward', 'batchnormBackward'], 'batchnorm-deep': ['batchnormForward', 'batchnormBackward'],
      'residual': ['residualForward', 'residualBackward'], 'residual-depth': ['residualForward', 'residualBackward'],
      'dead-fraction': ['deadUnitFraction'], 'dead-relu-bias': ['deadUnitFraction'], 'saturated-fraction': ['saturatedFraction'],
      'gradient-flow': ['gradientFlow'], 'train-neuron': ['trainNeuron'],
      'clip-grad-norm': ['globalGradNorm', 'clipGradNorm'], 'sgd-step': ['sgdStep'], 'train-mlp': ['trainMlp'], 'training-run': ['trainMlp'],
    };
    const covered = new Set<string>();
    for (const { slug, name } of listFixtureFiles()) {
      const f = loadFixture(slug, name);
      for (const fn of byKind[f.kind]) covered.add(`${slug}:${fn}`);
    }
    for (const e of manifest.exercises) for (const fn of e.functions) expect(covered.has(`${e.slug}:${fn}`), `${e.slug} ${fn}`).toBe(true);
  });
});
