/**
 * The lab runs the student's own functions: a correct submission reproduces the reference's
 * curves, a submission with a known mistake shows a different curve and the lab says which, and
 * an unfinished or hanging one ends only the experiments that need it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matmul, transpose, colSums } from '../exercises/lib/tensor';
import type { Dense, Matrix } from '../exercises/lib/types';
import { gradientFlowInputs, trainingTask, type Finding, type Series } from '../grader/lab/experiments';
import { at, QUANTITY, runLab, type Outcome } from '../grader/lab/run';
import { Blocked } from '../grader/lab/student';
import { renderLab, renderOutcome, sparkLine } from '../grader/lab/terminal';
import { axisTop, offTheTop } from '../grader/lab/log-axis';
import { departures } from '../grader/lab/compare';
import { compileOwn } from '../grader/lab/compile-own';
import { EXERCISES_DIR, SOLUTIONS_DIR } from '../grader/paths';
import { loadManifest } from '../grader/manifest';
import { watchFolder } from '../grader/commands/lab';
import { readReferenceCache, referenceCacheFile } from '../grader/lab/reference-cache';
import { gradlab } from './cli-harness';

/** The lab shows 07's training experiment once exercise 07 is in the course's manifest. */
const has07 = loadManifest().exercises.some((e) => e.slug === '07-training');
const EXPERIMENT_IDS = ['gradient-flow', 'initialization', 'saturation-and-dead-units', 'dead-neuron', ...(has07 ? ['training', 'clip-or-lower-lr'] : [])];

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const dsigmoid = (z: number) => sigmoid(z) * (1 - sigmoid(z));

/** The ‖dW‖ per layer of a plain network, computed here with the test's own loop (no lab code, no student code). */
function dWNorms(layers: Dense[], x: Matrix, dout: Matrix, f: (z: number) => number, df: (z: number) => number): number[] {
  const inputs: Matrix[] = [];
  const zs: Matrix[] = [];
  let a = x;
  layers.forEach((L, l) => {
    inputs.push(a);
    const z = matmul(a, L.W).map((row) => row.map((v, j) => v + L.b[j]));
    zs.push(z);
    a = l < layers.length - 1 ? z.map((row) => row.map(f)) : z;
  });
  const norms: number[] = [];
  let da = dout;
  for (let l = layers.length - 1; l >= 0; l--) {
    const dz = l === layers.length - 1 ? da : da.map((row, i) => row.map((v, j) => v * df(zs[l][i][j])));
    const dW = matmul(transpose(inputs[l]), dz);
    norms[l] = Math.sqrt(dW.flat().reduce((s, v) => s + v * v, 0));
    expect(colSums(dz).length).toBe(L0(layers, l));
    da = matmul(dz, transpose(layers[l].W));
  }
  return norms;
}
const L0 = (layers: Dense[], l: number) => layers[l].b.length;

const finding = (o: Outcome | undefined): Finding => {
  if (!o || o.mine instanceof Blocked) throw new Error(`experiment did not run: ${o?.mine instanceof Blocked ? o.mine.message : 'missing'}`);
  return o.mine;
};
const curve = (f: Finding, plot: string, name: string) => f.series.find((s) => s.plot === plot && s.name === name)!.points.map((p) => p.y);
/** |got − want| ≤ atol + rtol·|want| for every entry. */
function expectClose(got: number[], want: number[], rtol: number, atol = 0) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `entry ${i}: ${g} vs ${want[i]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(want[i])));
}

let work: string;
let mistaken: string;
let reference: Outcome[];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'gradlab-lab-'));
  // the known mistake: σ′ evaluated at the output a = σ(z) instead of at z, in activationBackward
  mistaken = path.join(work, 'sigma-on-output');
  cpSync(SOLUTIONS_DIR, mistaken, { recursive: true, dereference: true });
  const file = path.join(mistaken, '02-backprop', 'backprop.ts');
  const right = 'const { df } = activationFns(act);\n  return mul(da, map(z, df));';
  const source = readFileSync(file, 'utf8');
  expect(source).toContain(right);
  writeFileSync(file, source.replace(right, 'const { f, df } = activationFns(act);\n  return mul(da, map(z, (v) => df(f(v))));'));
  reference = await runLab({ dir: SOLUTIONS_DIR, compile: compileOwn, reference: null });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('gradlab lab on the reference solutions', () => {
  it('runs all four experiments and reproduces the vanishing gradient, cross-checked by an independent loop', () => {
    expect(reference.map((o) => o.experiment.id)).toEqual(EXPERIMENT_IDS);
    const flow = finding(reference[0]);
    const { x, dout, xavier, he, unit } = gradientFlowInputs();
    const sig = dWNorms(xavier, x, dout, sigmoid, dsigmoid);
    const relu = dWNorms(he, x, dout, (z) => Math.max(0, z), (z) => (z > 0 ? 1 : 0));
    const tanh = dWNorms(unit, x, dout, Math.tanh, (z) => 1 - Math.tanh(z) ** 2);
    expectClose(curve(flow, 'gradient-flow', 'sigmoid / Xavier'), sig, 1e-9);
    expectClose(curve(flow, 'gradient-flow', 'ReLU / He'), relu, 1e-9);
    expectClose(curve(flow, 'gradient-flow', 'tanh / N(0,1)'), tanh, 1e-9);
    // the depth-wise explosion: the first layer gets more than 100× the last's (06's 'exploding')
    expect(tanh[0] / tanh[9]).toBeGreaterThan(1e2);
    expect(flow.notice).toContain(`With tanh and N(0, 1) weights it is ${Number((tanh[0] / tanh[9]).toPrecision(3))}`);
    // the phenomenon: the sigmoid network's first layer gets ~4e-6 of its last layer's gradient, ReLU/He ~1
    expect(sig[0] / sig[9]).toBeGreaterThan(1e-6);
    expect(sig[0] / sig[9]).toBeLessThan(1e-5);
    expect(relu[0] / relu[9]).toBeGreaterThan(0.5);
    expect(relu[0] / relu[9]).toBeLessThan(2);
    const bn = curve(flow, 'gradient-flow', 'sigmoid + batch norm');
    const res = curve(flow, 'gradient-flow', 'residual (sigmoid)');
    expect(bn[0] / bn[9]).toBeGreaterThan(0.1);
    expect(res[0] / res[9]).toBeGreaterThan(0.1);
    // batch norm's output, the sigmoid's input, has mean 0 and std √(v/(v+ε)) ≈ 1 in every hidden layer
    for (const row of flow.networks[2].rows.slice(0, 9)) {
      expect(Math.abs(row.zMean)).toBeLessThan(1e-12);
      expect(Math.abs(row.zStd - 1)).toBeLessThan(1e-3);
    }
  });

  it('shows saturation, dead units and the dead neuron with the numbers the notes predict', () => {
    const init = finding(reference[1]);
    const tanhN = init.networks.find((n) => n.name === 'tanh / N(0,1)')!.rows;
    const tanhX = init.networks.find((n) => n.name === 'tanh / Xavier')!.rows;
    expect(tanhN[4].saturated).toBeGreaterThan(0.6);
    expect(tanhX[4].saturated).toBe(0);
    const reluStd = (name: string) => init.networks.find((n) => n.name === name)!.rows.map((r) => r.zStd);
    // He keeps the spread through 5 ReLU layers; Xavier halves the variance per layer: std × 2^(-1/2) per layer
    expect(reluStd('relu / He')[4] / reluStd('relu / He')[0]).toBeGreaterThan(0.5);
    expect(reluStd('relu / Xavier')[4] / reluStd('relu / Xavier')[0]).toBeLessThan(0.5);
    const dead = curve(finding(reference[2]), 'dead-vs-bias', 'ReLU, 64 → 256, He');
    expect(dead[0]).toBe(0);
    expect(dead[8]).toBe(1);
    for (let i = 1; i < dead.length; i++) expect(dead[i]).toBeGreaterThanOrEqual(dead[i - 1]);
    const neuron = finding(reference[3]);
    const grad = curve(neuron, 'dead-neuron-grad', 'relu');
    const z = curve(neuron, 'dead-neuron-z', 'relu');
    // step 0: z = 1.5, a = 1.5, ∂loss/∂z = a − target = 1.3, ‖(x, 1)‖ = √3; lr·(‖x‖² + 1) = 0.5·3 = 1.5 < 2, and
    // where the neuron is linear z₊ − 0.2 = (1 − 1.5)(z − 0.2): z = 0.2 − 0.5·1.3 = −0.45, below the kink, and stays
    expectClose([z[0], grad[0], z[1]], [1.5, 1.3 * Math.sqrt(3), -0.45], 1e-12);
    expect(z).toHaveLength(200);
    expect(grad.slice(1).every((g) => g === 0)).toBe(true);
    expect(z.slice(1).every((v) => v === z[1])).toBe(true);
    // leaky ReLU, by the test's own loop (slope 0.01): back above 0 at step 150, at its target by the end
    let [zl, dl] = [1.5, 0];
    const leaky: number[] = [];
    for (let t = 0; t < 200; t++, zl -= 0.5 * dl * 3) {
      leaky.push(zl);
      dl = ((zl > 0 ? zl : 0.01 * zl) - 0.2) * (zl > 0 ? 1 : 0.01);
    }
    const zLeaky = curve(neuron, 'dead-neuron-z', 'leakyRelu');
    expectClose(zLeaky, leaky, 1e-9, 1e-15);
    expect(zLeaky.findIndex((v, i) => i > 1 && v > 0)).toBe(150);
    expect(Math.abs(zLeaky[199] - 0.2)).toBeLessThan(1e-12);
    expect(Math.abs(curve(neuron, 'dead-neuron-z', 'tanh')[199] - Math.atanh(0.2))).toBeLessThan(1e-12);
    expect(neuron.notice).toContain('lr·(‖x‖² + 1) = 1.5 < 2) the first step still overshoots the target 0.2, to z = -0.45');
    expect(neuron.notice).toContain('z moves by 0 in the 198 steps after and the loss stays 0.02');
    expect(neuron.notice).toContain('it is back above 0 at step 150');
  });
});

describe('gradlab lab on training (07)', () => {
  const training = () => reference.find((r) => r.experiment.id === 'training');
  const last = (v: number[]) => v[v.length - 1];

  it('is listed exactly when 07 is in the manifest, and then shows who learns, who explodes and what clipping does, against the mean predictor', () => {
    const o = training();
    expect(o !== undefined).toBe(has07);
    if (!o) return;
    const f = finding(o);
    const loss = (name: string) => curve(f, 'training-loss', name);
    // the baseline: predicting the mean target costs Σy²/2N = ½ on centred, unit-variance targets
    const { y, constantLoss } = trainingTask();
    expect(Math.abs(y.flat().reduce((t, v) => t + v, 0))).toBeLessThan(1e-12);
    expect(Math.abs(constantLoss - 0.5)).toBeLessThan(1e-12);
    const base = loss('mean predictor (0.5)');
    expect(base).toHaveLength(100);
    expect(base.every((v) => v === constantLoss)).toBe(true);
    expect(f.notice).toContain('against the mean predictor\'s 0.5');
    expect(last(curve(f, 'training-first-layer', 'sigmoid / Xavier'))).toBeLessThan(1e-4);
    expect(Math.abs(last(loss('sigmoid / Xavier')) / constantLoss - 1)).toBeLessThan(1e-3);
    expect(f.notice).toContain('at its last step: its first layers barely move, and it ends at 1× the mean predictor\'s loss.');
    expect(last(loss('ReLU / He'))).toBeLessThan(constantLoss / 20);
    expect(last(loss('leaky ReLU / He'))).toBeLessThan(constantLoss / 20);
    expect(loss('ReLU / He × 1.5, no clipping').some((v) => !Number.isFinite(v))).toBe(true);
    // clipping visibly learns: from hundreds to a tenth of the mean predictor's loss
    const clipped = loss('ReLU / He × 1.5, clipNorm 5');
    expect(clipped[0]).toBeGreaterThan(100);
    expect(clipped.every(Number.isFinite)).toBe(true);
    expect(last(clipped)).toBeLessThan(constantLoss / 10);
    expect(f.notice).toContain('Below half the mean predictor\'s loss: ReLU / He, leaky ReLU / He, ReLU / He × 1.5, clipNorm 5.');
  });

  it('counts born-dead units per layer of ReLU / He before and after training, as the test\'s own loop does', () => {
    const o = training();
    if (!o) return;
    const f = finding(o);
    const { x, layers } = trainingTask();
    const he = layers((fanIn) => Math.sqrt(2 / fanIn));
    const own: number[] = [];
    let a = x;
    for (const L of he.slice(0, -1)) {
      const z = matmul(a, L.W).map((row) => row.map((v, j) => v + L.b[j]));
      own.push(z[0].filter((_v, j) => z.every((row) => row[j] <= 0)).length / z[0].length);
      a = z.map((row) => row.map((v) => Math.max(0, v)));
    }
    expect(curve(f, 'training-dead', 'ReLU / He at step 0')).toEqual(own);
    expect(own.reduce((t, v) => t + v, 0) / own.length).toBeGreaterThan(0.1); // born dead: before any step
    const after = curve(f, 'training-dead', 'ReLU / He after 100 steps');
    expect(after).toHaveLength(9);
    expect(after.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(f.notice).toMatch(/ReLU \/ He is born with \d+% of its hidden units dead on these 16 examples/);
  });

  it('sweeps the learning rate: He × 1.5 without clipping learns at no rate He learns well at, clipped it does', () => {
    const o = reference.find((r) => r.experiment.id === 'clip-or-lower-lr');
    expect(o !== undefined).toBe(has07);
    if (!o) return;
    const f = finding(o);
    const lrs = f.series.find((s) => s.name === 'He')!.points.map((p) => 10 ** p.x);
    expectClose(lrs, [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.05, 0.1], 1e-12);
    const at = (name: string, lr: number) => curve(f, 'lr-sweep', name)[lrs.findIndex((v) => Math.abs(v / lr - 1) < 1e-12)];
    expect(curve(f, 'lr-sweep', 'mean predictor (0.5)').every((v) => v === 0.5)).toBe(true);
    expect(at('He', 0.05)).toBeLessThan(0.05);
    expect(at('He', 1e-4)).toBeGreaterThan(0.4); // a rate low enough for the 1.5× network leaves He where it started
    for (const lr of [1e-2, 3e-2, 0.05]) expect(Number.isFinite(at('He × 1.5', lr))).toBe(false);
    expect(at('He × 1.5, clipNorm 5', 0.05)).toBeLessThan(0.05);
    expect(f.notice).toContain('with clipNorm 5 it ends at 0.0256 at lr 0.05');
  });
});

describe('gradlab lab\'s charts of training (07), in the terminal', () => {
  it('tops the log charts at 1e+5 and says which run ran off; no curve that moves is drawn all ▁', () => {
    if (!has07) return;
    const text = renderLab(reference, 1000);
    // docs/lab.md quotes this line: the unclipped run leaves the axis at steps 1 and 2, then turns non-finite
    expect(text).toContain('  ↑ above 1e+5, off the chart: ReLU / He × 1.5, no clipping at 2 points from step 1 on, up to 1.8e+174');
    expect(text).toContain('  ↑ above 1e+5, off the chart: He × 1.5 at learning rate 0.1, up to 2.8e+236');
    // the clipped run starts at 631: ⌈log₁₀ 630.6⌉ + 2 = 5
    const clipped = finding(reference.find((r) => r.experiment.id === 'training')).series.find((s) => s.plot === 'training-loss' && s.name === 'ReLU / He × 1.5, clipNorm 5')!;
    expect(clipped.points[0].y.toFixed(0)).toBe('631');
    // name, sparkline, first → last; a curve whose first and last values differ must show it moving
    const charts = text.split('\n').map((l) => /^ {2}(.+?) ([▁▂▃▄▅▆▇█↑ ]+) {2}(\S+) → (\S+)$/.exec(l)).filter((m) => m !== null);
    const flat = charts.filter((m) => m[3] !== m[4] && !/[▂▃▄▅▆▇█↑]/.test(m[2])).map((m) => m[0]);
    expect(charts.length).toBeGreaterThan(10);
    expect(flat).toEqual([]);
  });
});

describe('gradlab lab on a submission with a known mistake (σ′ computed on the output a instead of z)', () => {
  let outcomes: Outcome[];
  beforeAll(async () => {
    outcomes = await runLab({ dir: mistaken, compile: compileOwn, reference: { dir: SOLUTIONS_DIR }, only: ['02-backprop'] });
  });

  it('draws the student\'s own curve: the sigmoid networks, the residual one and the tanh one depart from the reference, the ReLU one does not', () => {
    expect(outcomes.map((o) => o.experiment.id)).toEqual(['gradient-flow']);
    const [o] = outcomes;
    // 05 imports the student's own 02 in the lab (as in the template), so its sigmoid branch departs
    // too; tanh′ taken at tanh(z) is as wrong as σ′ at σ(z): the tanh network departs as well
    expect(o.departures.map((d) => d.name)).toEqual(['sigmoid / Xavier', 'sigmoid + batch norm', 'residual (sigmoid)', 'tanh / N(0,1)']);
    const { x, dout, xavier } = gradientFlowInputs();
    // σ′(σ(z)) ≥ σ′(1) ≈ 0.197 for every z, so the mistaken gradient vanishes far less than the true one
    const wrong = dWNorms(xavier, x, dout, sigmoid, (z) => dsigmoid(sigmoid(z)));
    expectClose(curve(finding(o), 'gradient-flow', 'sigmoid / Xavier'), wrong, 1e-9);
    expectClose(curve(finding(o), 'gradient-flow', 'ReLU / He'), curve(finding(reference[0]), 'gradient-flow', 'ReLU / He'), 1e-12);
    // the words name the layer where the two curves are furthest apart (in ratio), with both values
    const sig = dWNorms(xavier, x, dout, sigmoid, dsigmoid);
    const gaps = wrong.map((w, i) => Math.abs(w - sig[i]) / (w + sig[i]));
    const at = gaps.indexOf(Math.max(...gaps));
    const said = /^your sigmoid \/ Xavier curve departs from the reference in the gradient norm ‖dW‖ at layer (\d+): yours is (\S+), the reference's (\S+) \(([0-9.]+)× (smaller|larger)\)$/.exec(o.departures[0].words);
    expect(said, o.departures[0].words).not.toBeNull();
    expect(Number(said![1])).toBe(at + 1);
    expectClose([Number(said![2]), Number(said![3])], [wrong[at], sig[at]], 1e-2); // 3 digits shown
    expectClose([Number(said![4])], [Math.max(wrong[at] / sig[at], sig[at] / wrong[at])], 5e-2); // 2 digits
    expect(said![5]).toBe(wrong[at] > sig[at] ? 'larger' : 'smaller');
  });

  it('says so in the terminal, under the table of the student\'s numbers', () => {
    const text = renderLab(outcomes, 1234);
    expect(text).toContain('  layer  z mean  z std  saturated  dead     ‖dW‖     ‖dx‖');
    expect(text).toMatch(/Differs: your sigmoid \/ Xavier curve departs from the reference in the gradient norm ‖dW‖ at layer \d+: yours is/);
    expect(text).toMatch(/Differs: your sigmoid \+ batch norm curve departs/);
    expect(text).toMatch(/Differs: your tanh \/ N\(0,1\) curve departs/);
    expect(text).not.toMatch(/Differs: your ReLU/);
    // the lines docs/lab.md quotes
    expect(text).toContain("Differs: your sigmoid / Xavier curve departs from the reference in the gradient norm ‖dW‖ at layer 3: yours is 1.33e-4, the reference's 1.69e-4 (1.3× smaller).");
    expect(text).toContain("Differs: your sigmoid + batch norm curve departs from the reference in the gradient norm ‖dW‖ at layer 1: yours is 3.87, the reference's 1.55 (2.5× larger).");
    expect(text).toContain('All 1 experiments ran on your code in 1.2 s.');
  });
});

describe('the charts of curves that span decades, and the words under them', () => {
  const series = (plot: string, name: string, ys: number[], x0 = 0): Series => ({ plot, name, points: ys.map((y, i) => ({ x: x0 + i, y })) });

  it('tops a log axis 2 decades above the largest first value, and only where a curve runs above it', () => {
    const healthy = series('training-loss', 'healthy', [0.7, 0.1, 0.01]);
    const clipped = series('training-loss', 'clipped', [630.595, 40, 0.03]);
    const wild = series('training-loss', 'wild', [630.595, 3e40, 1.8e174, NaN, NaN]);
    // ⌈log₁₀ 630.595⌉ = 3, so the top is 10⁵; nothing above it, no top of its own
    expect(axisTop([healthy, clipped])).toBeNull();
    expect(axisTop([healthy, clipped, wild])).toBe(1e5);
    expect(axisTop([series('training-loss', 'at the top', [630.595, 1e5])])).toBeNull(); // the top itself is on the axis
    expect(axisTop([series('training-loss', 'infinite', [0.5, Infinity])])).toBeNull(); // non-finite is not drawn at all
    expect(offTheTop([healthy, wild], 1e5, (x) => `step ${x}`)).toEqual(['wild at 2 points from step 1 on, up to 1.8e+174']);
    expect(offTheTop([series('lr-sweep', 'He × 1.5', [0.5, 2.84e236], -2)], 1e5, (x) => at('lr-sweep', x))).toEqual(['He × 1.5 at learning rate 0.1, up to 2.8e+236']);
  });

  it('draws a sparkline of log₁₀ on a log chart, so a loss falling over six decades fills the ticks', () => {
    const falling = series('training-loss', 'falling', [1, 0.1, 0.01, 1e-3, 1e-4, 1e-5, 1e-6]);
    // log₁₀ 0 … −6 over 8 ticks: tick ⌈(v + 6) / 6 · 8⌉ − 1
    expect(sparkLine(falling, 7, { minimum: -6, maximum: 0 })).toBe('  falling █▇▆▄▃▂▁  1.000 → 1.00e-6');
  });

  it('marks a value above the top ↑ and scales the rest without it, so one explosion does not flatten the others', () => {
    const lr = (ys: number[]): Series['points'] => ys.map((y, i) => ({ x: [-4, -3.5, -3, -2.5, -2, -1.5, -1.3, -1][i], y }));
    const wild: Series = { plot: 'lr-sweep', name: 'wild', points: lr([0.544, 0.2, 0.3, 0.4, NaN, NaN, NaN, 2.84e236]) };
    const healthy: Series = { plot: 'lr-sweep', name: 'healthy', points: lr([0.46, 0.2, 0.1, 0.05, 0.02, 0.01, 8.45e-3, 8.45e-3]) };
    const text = renderOutcome({ experiment: { id: 'x', title: 'sweep', uses: ['07-training'] } as Outcome['experiment'], mine: { networks: [], series: [wild, healthy], notice: 'n' }, reference: null, departures: [] }, 1);
    // the top is 10^(⌈log₁₀ 0.544⌉ + 2) = 100; the scale runs over log₁₀ 8.45e-3 … log₁₀ 0.544 (−2.073 … −0.264),
    // tick ⌈(v + 2.073) / 1.809 · 8⌉ − 1: 0.2 → 6 (▇), 0.4 → 7 (█), 0.05 → 3 (▄), 0.01 → 0 (▁)
    expect(text).toContain('  wild    █▇▇█   ↑  0.544 → 2.84e+236');
    expect(text).toContain('  healthy █▇▅▄▂▁▁▁  0.460 → 8.45e-3');
    expect(text).toContain('  ↑ above 1e+2, off the chart: wild at learning rate 0.1, up to 2.8e+236');
  });

  it('names the quantity and the point that differ, with the digits that tell the two values apart', () => {
    const mine = [series('training-loss', 'sigmoid / Xavier', [0.71, 0.58671]), series('training-dead', 'ReLU / He at step 0', [0, 0.25, 0.5], 1)];
    const ref = [series('training-loss', 'sigmoid / Xavier', [0.71, 0.58679]), series('training-dead', 'ReLU / He at step 0', [0, 0.25, 0.125], 1)];
    expect(departures(mine, ref, at, (p) => QUANTITY[p]).map((d) => d.words)).toEqual([
      // within 10% the factor is in percent: 0.58671 / 0.58679 = 1 − 0.000136…
      "your sigmoid / Xavier curve departs from the reference in the loss at step 1: yours is 0.5867, the reference's 0.5868 (0.014% smaller)",
      "your ReLU / He at step 0 curve departs from the reference in the dead share at hidden layer 3: yours is 0.500, the reference's 0.125 (4.0× larger)",
    ]);
  });
});

describe('gradlab lab on unfinished and broken code', () => {
  it('names the function to implement for each experiment of the stubs', async () => {
    const outcomes = await runLab({ dir: EXERCISES_DIR, compile: compileOwn, reference: { dir: SOLUTIONS_DIR } });
    const said = outcomes.map((o) => (o.mine instanceof Blocked ? o.mine.message : 'ran'));
    expect(said).toEqual([
      'implement denseForward (02-backprop) to see this',
      'implement initMlp (03-initialization) to see this',
      'implement tanh (01-activations) to see this',
      'implement trainNeuron (06-dead-neurons) to see this',
      ...(has07 ? ['implement trainMlp (07-training) to see this', 'implement trainMlp (07-training) to see this'] : []),
    ]);
    expect(renderLab(outcomes, 10)).toContain(`0 of ${EXPERIMENT_IDS.length} experiments ran (0.0 s). Next: implement denseForward (02-backprop) to see this.`);
  });

  it('ends only the experiment whose function hangs, and the command goes on', async () => {
    const dir = path.join(work, 'hangs');
    cpSync(SOLUTIONS_DIR, dir, { recursive: true, dereference: true });
    const file = path.join(dir, '02-backprop', 'backprop.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('export function denseBackward(dz: Matrix, x: Matrix, layer: Dense): { dx: Matrix } & LayerGrads {', '$&\n  for (let i = 0; i >= 0; ) { /* forever */ }'));
    const outcomes = await runLab({ dir, compile: compileOwn, reference: null, only: ['02-backprop', '06-dead-neurons'] });
    expect(outcomes.map((o) => o.experiment.id)).toEqual(['gradient-flow', 'saturation-and-dead-units', 'dead-neuron']);
    // every network of the experiment goes through the student's own denseBackward (05 imports 02 as written)
    expect(outcomes[0].mine).toBeInstanceOf(Blocked);
    expect((outcomes[0].mine as Blocked).message).toMatch(/^denseBackward \(02-backprop\) did not finish within its limits/);
    expect(outcomes.slice(1).every((o) => !(o.mine instanceof Blocked))).toBe(true);
  });
});

describe('gradlab lab (the command)', () => {
  it('prints tables and charts for the named exercise and writes the page', async () => {
    const out = path.join(work, 'page');
    const r = await gradlab(['lab', '06', mistaken, '--html', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('── 1. Saturated tanh units per layer');
    expect(r.stdout).toMatch(/ReLU, 64 → 256, He [▁-█]{9}  0 → 1\.000/);
    expect(r.stdout).toContain('Every curve matches the reference solution.');
    expect(r.stdout).toContain(`Wrote ${path.relative(process.cwd(), path.join(out, 'index.html'))}`);
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    expect((html.match(/<figure data-plot=/g) ?? []).length).toBe(4);
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it('draws the student\'s own 01 under every curve in the course too: σ′ taken at the output σ(x) changes the sigmoid curves, not the ReLU one', async () => {
    const dir = path.join(work, 'sigma-grad-on-output');
    cpSync(SOLUTIONS_DIR, dir, { recursive: true, dereference: true });
    const file = path.join(dir, '01-activations', 'activations.ts');
    const right = 'export function sigmoidGrad(x: number): number {\n  const s = sigmoid(x);';
    expect(readFileSync(file, 'utf8')).toContain(right);
    writeFileSync(file, readFileSync(file, 'utf8').replace(right, 'export function sigmoidGrad(x: number): number {\n  const s = sigmoid(sigmoid(x));'));
    const r = await gradlab(['lab', '01', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('── 1. Gradient flow through 10 layers [01-activations, 02-backprop, 04-batchnorm, 05-residual]');
    // 02's activationBackward, 05 through 02, and the lab's saturated share all use the student's σ′
    for (const name of ['sigmoid / Xavier', 'sigmoid \\+ batch norm', 'residual \\(sigmoid\\)']) {
      expect(r.stdout).toMatch(new RegExp(`Differs: your ${name} curve departs from the reference in the gradient norm ‖dW‖ at layer \\d+: yours is`));
    }
    expect(r.stdout).not.toMatch(/Differs: your (ReLU|tanh|leakyRelu)/);
  });

  it('keeps the reference\'s findings between runs, and recomputes them when the entry is damaged', async () => {
    const file = referenceCacheFile();
    rmSync(file, { force: true });
    const timeless = (text: string) => text.replace(/in [0-9.]+ s/, 'in … s');
    const first = await gradlab(['lab', '02', mistaken]);
    expect(Object.keys(readReferenceCache(referenceCacheFile()))).toEqual(['gradient-flow']);
    const second = await gradlab(['lab', '02', mistaken]);
    expect(timeless(second.stdout)).toBe(timeless(first.stdout));
    expect(second.stdout).toContain('Differs: your sigmoid / Xavier curve departs from the reference in the gradient norm ‖dW‖ at layer 3:');
    writeFileSync(referenceCacheFile(), '{ not json');
    const third = await gradlab(['lab', '02', mistaken]);
    expect(timeless(third.stdout)).toBe(timeless(first.stdout));
    // the name is read again: other tests running beside this one may change a hashed file meanwhile
    expect(Object.keys(readReferenceCache(referenceCacheFile()))).toEqual(['gradient-flow']);
  });

  it('refuses a word that is neither an exercise nor a folder, and says what is allowed', async () => {
    const r = await gradlab(['lab', 'nowhere']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gradlab: 'nowhere' is neither an exercise \(01-activations, .*\) nor a folder: see `gradlab lab --help`\n$/);
    const help = await gradlab(['lab', '--help']);
    expect(help.stdout).toContain('Usage: gradlab lab [exercise…] [folder] [--html DIR] [--watch]');
  });
});

describe('gradlab lab --watch', () => {
  it('runs again after a file under the folder changes, and stops when told', async () => {
    const dir = mkdtempSync(path.join(work, 'watched-'));
    const stop = new AbortController();
    const sigintBefore = process.listenerCount('SIGINT');
    let runs = 0;
    let ran!: () => void;
    const first = new Promise<void>((resolve) => { ran = resolve; });
    const watching = watchFolder(dir, async () => { runs++; ran(); }, stop.signal);
    for (const text of ['a', 'ab', 'abc']) writeFileSync(path.join(dir, 'backprop.ts'), text);
    await first;
    stop.abort();
    await watching;
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(process.listenerCount('SIGINT')).toBe(sigintBefore); // Ctrl-C is the shell's again
  });
});

