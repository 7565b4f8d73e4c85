/**
 * Hidden suite of 03-initialization. A student may draw from the Rng in any order, so values are
 * graded by their statistics (mean, std, max |w|) within limits that a correct implementation
 * misses less than once in 10⁶ seeds, plus shape, determinism for a seed, and the experiments
 * that show why the schemes exist (20 ReLU layers; standard-normal tanh saturation), each graded on
 * the fixture's number of networks.
 */
import { createHash } from 'node:crypto';
import { loadFixture, rebuildMlpInput, type InitForwardFixture, type Limit, type MatrixStatsLimits, type MlpRecipe, type NormalInit } from '../../fixtures/load.js';
import { initTheory } from '../../fixtures/init-theory.js';
import { entryStd, flatStd, preActivationsFlat, type FlatDense } from '../../fixtures/nets.js';
import { PackedMatrix, SandboxError } from '../sandbox/client.js';
import { expectMatrix, expectVector, fail, fmt } from './check.js';
import { defineSuite, seededRng, type TestContext } from './harness.js';
import type { Dense, Matrix } from '../../exercises/lib/types.js';
import type { Diagnosis } from '../results.js';

type InitFn = 'xavierUniform' | 'xavierNormal' | 'heUniform' | 'heNormal';

function stats(m: Matrix): { mean: number; std: number; maxAbs: number } {
  let n = 0, s = 0, maxAbs = 0;
  for (const row of m) for (const v of row) { s += v; n++; maxAbs = Math.max(maxAbs, Math.abs(v)); }
  return { mean: s / n, std: entryStd(m), maxAbs };
}

function within(x: number, lim: Limit): boolean {
  return x >= lim.lo && x <= lim.hi;
}

/** A mistake known by the spread it gives: the fixture's (init-variance, named by its label) or one with a diagnosis of its own. */
interface SpreadMistake { label: string; std: number; diagnosis?: Diagnosis }

/**
 * U(−a/2, a/2) (from (u − 0.5)·a) or U(0, a) (from u·a) instead of U(−a, a): either way half the
 * width, so half the scheme's standard deviation.
 */
const HALF_RANGE: Diagnosis = { id: 'uniform-half-range', hint: 'Your weights spread half as wide as the scheme’s: for u uniform on [0, 1), which interval does your formula draw from, and is it all of (−a, a)?' };

/**
 * Mean, std and max |w| within the limits, or a failure that names the statistic and, if it matches one, the mistake.
 * The limits of a hidden fixture are not printed: they bracket the scheme's std for that shape, and
 * a table of printed limits by shape would pass these tests without the formula.
 */
function expectStats(m: Matrix, limits: MatrixStatsLimits, what: string, mistakes: SpreadMistake[] = [], hidden = true): void {
  const st = stats(m);
  for (const key of ['std', 'mean', 'maxAbs'] as const) {
    if (within(st[key], limits[key])) continue;
    // name a mistake only when exactly one catalogued mistake gives this spread on this shape
    const matching = key === 'std' ? mistakes.filter((k) => Math.abs(st.std / k.std - 1) < 0.03) : [];
    const name = { std: 'standard deviation', mean: 'mean', maxAbs: 'largest |w|' }[key];
    const range = hidden ? 'the limits a correct draw stays within (a hidden fixture’s: not shown; the README gives each scheme’s formula)' : `[${fmt(limits[key].lo)}, ${fmt(limits[key].hi)}]`;
    fail(`${what}: ${name} ${fmt(st[key])} is outside ${range}`,
      matching.length === 1 ? matching[0].diagnosis ?? { id: 'init-variance', hint: `The spread matches a known mistake (${matching[0].label}): recheck the variance formula and which fans it uses.` }
        : matching.length > 1 ? { id: 'init-variance', hint: 'The spread matches more than one known mistake on this shape: recheck the variance formula and which fans it uses.' } : undefined);
  }
}

function sameMatrix(a: Matrix, b: Matrix): boolean {
  return a.length === b.length && a.every((row, i) => row.length === b[i].length && row.every((v, j) => Object.is(v, b[i][j])));
}

async function initMatrix(ctx: TestContext, fn: InitFn, fanIn: number, fanOut: number, seed: number): Promise<Matrix> {
  const got = await ctx.call(fn, fanIn, fanOut, seededRng(seed));
  return expectMatrix(got, fanIn, fanOut, `${fn}(${fanIn}, ${fanOut}, rng)`);
}

/** Graded by statistics on non-square shapes both ways round, and the same matrix for the same seed. */
async function checkInit(ctx: TestContext, fn: InitFn): Promise<void> {
  const f = loadFixture('03-initialization', 'init-stats', 'init-stats');
  for (const c of f.cases.filter((k) => k.inputs.fn === fn)) {
    const { fanIn, fanOut, seeds } = c.inputs;
    const mistakes: SpreadMistake[] = c.expected.bound === null ? c.expected.mistakes : [...c.expected.mistakes, { label: 'half the range', std: c.expected.std / 2, diagnosis: HALF_RANGE }];
    const first = await initMatrix(ctx, fn, fanIn, fanOut, seeds[0]);
    for (const seed of seeds) {
      const m = seed === seeds[0] ? first : await initMatrix(ctx, fn, fanIn, fanOut, seed);
      expectStats(m, c.limits, `${fn}(${fanIn}, ${fanOut}, createRng(${seed}))`, mistakes, f.visibility === 'hidden');
    }
    const again = await initMatrix(ctx, fn, fanIn, fanOut, seeds[0]);
    if (!sameMatrix(first, again)) {
      fail(`${fn}(${fanIn}, ${fanOut}, rng) gave different matrices for the same seed ${seeds[0]}`,
        { id: 'not-seeded', hint: 'Every random number must come from the rng argument (rng.uniform(), rng.normal()), never Math.random().' });
    }
  }
}

/** initMlp's layers as flat arrays, checked like expectMatrix/expectVector (shape, finite numbers). */
function flatLayers(got: unknown, sizes: number[], what: string): FlatDense[] {
  if (!Array.isArray(got) || got.length !== sizes.length - 1) fail(`${what} should return ${sizes.length - 1} layers, got ${Array.isArray(got) ? got.length : fmt(got)}`);
  return (got as Array<{ W?: unknown; b?: unknown } | null>).map((layer, i) => {
    const rows = sizes[i];
    const cols = sizes[i + 1];
    const W = layer?.W;
    let data: Float64Array;
    if (W instanceof PackedMatrix) {
      if (W.rows !== rows || W.cols !== cols) fail(`${what}[${i}].W should have shape [${rows}x${cols}], got [${W.rows}x${W.cols}]`);
      const bad = W.data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail(`${what}[${i}].W[${Math.floor(bad / cols)}][${bad % cols}] should be a finite number, got ${fmt(W.data[bad])}`);
      data = W.data;
    } else {
      data = Float64Array.from(expectMatrix(W, rows, cols, `${what}[${i}].W`).flat());
    }
    return { rows, cols, W: data, b: Float64Array.from(expectVector(layer?.b, cols, `${what}[${i}].b`)) };
  });
}

/**
 * What the grader measured on each network it was given, in this worker, by a hash of every number
 * of the network and the measurement: a class whose students return the same weights (the same
 * draw order and formula) is measured once; anything else is measured anew. Safe to share between
 * students because the statistic is a function of exactly these numbers.
 */
const measuredBefore = new Map<string, number>();

/** A call left running while this process computes: if the test ends first, its failure is not unhandled. */
function started<T>(call: Promise<T>): Promise<T> {
  call.catch(() => undefined);
  return call;
}

/** The statistic `stat` of the pre-activations of the student's network (drawn from `seed`) on the recipe's inputs. */
function measured(what: string, recipe: MlpRecipe, scheme: string, seed: number, got: unknown, f: (z: number) => number, stat: (zs: Float64Array[]) => number): number {
  const layers = flatLayers(got, recipe.sizes, `initMlp(${fmt(recipe.sizes)}, '${scheme}', createRng(${seed}))`);
  const hash = createHash('sha256').update(`${what}\u0000${JSON.stringify(recipe)}\u0000`);
  for (const l of layers) hash.update(`${l.rows}x${l.cols}\u0000`).update(l.W).update(l.b);
  const key = hash.digest('hex');
  let value = measuredBefore.get(key);
  if (value === undefined) {
    const x = rebuildMlpInput(recipe); // the 20 layers of the recipe are not needed here
    value = stat(preActivationsFlat(Float64Array.from(x.flat()), x.length, layers, f));
    measuredBefore.set(key, value);
  }
  return value;
}

/** A positive value's power of ten (`1e4`), or the value itself where it has none. */
function magnitude(v: number): string {
  return v > 0 && Number.isFinite(v) ? `1e${Math.floor(Math.log10(v))}` : fmt(v);
}

/**
 * Per scheme of the fixture, `stat` of each of its `draws` networks (initMlp at seeds seed, seed + 1, …,
 * all on the recipe's inputs) and their geometric mean, and what a failure prints of them: for a
 * public fixture the mean and each network's value (for one network, its value); for a hidden one
 * only the mean's power of ten. The sandbox draws the next network while this process measures the last.
 *
 * A hidden fixture's expected values are the reference's own networks, measured the same way, and a
 * student's initMlp can redraw them: an attacker's drew relu-depth's network first and blew up the
 * other three, so that the failure printed the first one's ratio, the fixture's expected value, to
 * ten digits. Withholding only a value equal to a hidden answer (within 1e-9) was not enough: the
 * next attacker scaled that network's last layer by 1 + 3e-9 and divided the factor out of the
 * printed ratio. The mean gives such a value back too (of four copies of one network, it is that
 * network's). A power of ten tells a student how far off they are, and the public test prints the
 * same statistics of its own networks in full.
 */
async function statistics(ctx: TestContext, f: InitForwardFixture, what: string, act: (z: number) => number,
  stat: (zs: Float64Array[]) => number): Promise<(scheme: NormalInit) => { value: number; shown: string }> {
  const calls = (Object.entries(f.draws) as [NormalInit, number][]).flatMap(([scheme, k]) => Array.from({ length: k }, (_v, i) => ({ scheme, seed: f.recipe.seed + i })));
  const draw = (c: { scheme: NormalInit; seed: number }) => started(ctx.callPacked('initMlp', f.recipe.sizes, c.scheme, seededRng(c.seed)));
  const values = new Map<NormalInit, number[]>();
  let next = draw(calls[0]);
  for (let i = 0; i < calls.length; i++) {
    const got = await next;
    if (i + 1 < calls.length) next = draw(calls[i + 1]);
    const { scheme, seed } = calls[i];
    values.set(scheme, [...(values.get(scheme) ?? []), measured(what, f.recipe, scheme, seed, got, act, stat)]);
  }
  return (scheme) => {
    const vs = values.get(scheme);
    if (!vs) throw new Error(`fixtures/03-initialization/${f.name}.json draws no '${scheme}' network: regenerate the fixtures (npm run fixtures)`);
    const value = vs.length === 1 ? vs[0] : Math.exp(vs.reduce((s, v) => s + Math.log(v), 0) / vs.length);
    const drawn = (k: number) => `createRng(${f.recipe.seed + k})`;
    const networks = vs.length === 1 ? `the network of ${drawn(0)}` : `the geometric mean of ${vs.length} networks, ${drawn(0)} to ${drawn(vs.length - 1)}`;
    if (f.visibility === 'hidden') return { value, shown: `of order ${magnitude(value)} (${networks}; a hidden fixture's exact values are not printed: the public test prints yours for its own networks)` };
    if (vs.length === 1) return { value, shown: fmt(value) };
    return { value, shown: `${fmt(value)} (${networks}: ${vs.map(fmt).join(', ')})` };
  };
}

/**
 * The experiments pay only an initMlp that follows its scheme. Their layers are all square (width
 * 128, and 256 for tanh), where one fixed scale per scheme is the scheme's own: an attacker's
 * initMlp drawing N(0, 0.125²) for He whatever the fans passed the ReLU experiment, and another's
 * gave a one-layer probe of printed fans its own table. So initMlp is also asked for a network of
 * non-square layers whose fans no message prints (PROBE_SIZES), and each layer's spread must be the
 * scheme's or a known mistake's (initTheory): within 5% of it, which a correct draw of ≥ 20,480
 * entries misses only beyond 10 of its standard errors (≈ 1/√(2N) ≤ 0.5%;
 * test/suite-03-experiments.test.ts). A wrong formula costs the value tests, not this one.
 */
const PROBE_SIZES = [64, 320, 96, 448];
const PROBE_SEED = 3079;
async function expectSchemeFollowed(ctx: TestContext, scheme: 'heNormal' | 'xavierNormal'): Promise<void> {
  const what = `initMlp(sizes, '${scheme}', rng)`;
  let got: unknown;
  try {
    got = await ctx.call<unknown>('initMlp', PROBE_SIZES, scheme, seededRng(PROBE_SEED));
  } catch (err) {
    // not the student's message: a thrown Error naming its arguments printed the probe's sizes
    if (err instanceof SandboxError) fail(`the experiments count only for an initMlp that follows its scheme: on a network of non-square layers (not shown), ${what} ${err.kind === 'timeout' ? 'ran out of time' : 'threw or stopped'} (its message is not shown here: it could name the sizes); init.initMlp.layers says how yours differs`);
    throw err;
  }
  // checked here without naming a shape (flatLayers would print the fans)
  const ok = Array.isArray(got) && got.length === PROBE_SIZES.length - 1 && got.every((l: { W?: unknown } | null, i) => Array.isArray(l?.W) && l.W.length === PROBE_SIZES[i]
    && l.W.every((r: unknown) => Array.isArray(r) && r.length === PROBE_SIZES[i + 1] && r.every((v) => typeof v === 'number' && Number.isFinite(v))));
  if (!ok) fail(`the experiments count only for an initMlp that follows its scheme: on a network of non-square layers (not shown), ${what} does not return one [fanIn x fanOut] matrix of finite numbers per layer; init.initMlp.layers says how yours differs`);
  // one formula for every layer, the scheme's or one known mistake's (initTheory lists them in the
  // same order for any fans): an attacker's single constant came within 5% of a different one on
  // each layer of an earlier probe. On these fans no formula varies by less than ±9% over the layers
  const stds = (got as { W: number[][] }[]).map((layer) => entryStd(layer.W));
  const formulas = PROBE_SIZES.slice(1).map((fanOut, i) => { const t = initTheory(scheme, PROBE_SIZES[i], fanOut); return [t.std, ...t.mistakes.map((m) => m.std)]; });
  if (formulas[0].some((_f, j) => stds.every((std, i) => Math.abs(std / formulas[i][j] - 1) <= 0.05))) return;
  // the fans are not printed: a table of spreads by printed fans passed the experiments before
  fail(`the experiments count only for an initMlp that follows its scheme: on a network of non-square layers (not shown), ${what} draws its layers with spreads that are not ${scheme}'s for their fans, nor one known mistake's (every layer of the experiments is square, where one fixed scale would pass); init.initMlp.layers and init.${scheme}.stats say how yours differs`);
}

export default defineSuite('03-initialization', (test) => {
  test('init.xavierUniform.stats', (ctx) => checkInit(ctx, 'xavierUniform'));
  test('init.xavierNormal.stats', (ctx) => checkInit(ctx, 'xavierNormal'));
  test('init.heUniform.stats', (ctx) => checkInit(ctx, 'heUniform'));
  test('init.heNormal.stats', (ctx) => checkInit(ctx, 'heNormal'));

  test('init.initMlp.layers', async (ctx) => {
    const f = loadFixture('03-initialization', 'init-mlp', 'init-mlp');
    for (const c of f.cases) {
      const { sizes, scheme, seeds } = c.inputs;
      let firstRun: Dense[] | null = null;
      for (const seed of seeds) {
        const what = `initMlp(${fmt(sizes)}, '${scheme}', createRng(${seed}))`;
        const got = await ctx.call<unknown>('initMlp', sizes, scheme, seededRng(seed));
        if (!Array.isArray(got) || got.length !== sizes.length - 1) fail(`${what} should return ${sizes.length - 1} layers, got ${Array.isArray(got) ? got.length : fmt(got)}`);
        const layers = got as Dense[];
        layers.forEach((layer, i) => {
          const W = expectMatrix(layer?.W, sizes[i], sizes[i + 1], `${what}[${i}].W`);
          expectStats(W, c.limits.layers[i], `${what}[${i}].W`, [], f.visibility === 'hidden');
          const b = layer?.b;
          if (!Array.isArray(b) || b.length !== sizes[i + 1] || b.some((v) => v !== 0)) fail(`${what}[${i}].b should be ${sizes[i + 1]} zeros, got ${fmt(b)}`);
        });
        firstRun ??= layers;
      }
      const again = await ctx.call<Dense[]>('initMlp', sizes, scheme, seededRng(seeds[0]));
      if (!firstRun || !again.every((l, i) => sameMatrix(l.W, firstRun![i].W))) {
        fail(`initMlp(${fmt(sizes)}, '${scheme}', rng) gave different layers for the same seed`, { id: 'not-seeded', hint: 'Draw every weight from the rng argument, never Math.random().' });
      }
    }
  });

  test('init.deep.experiments', async (ctx) => {
    // 20 ReLU layers, batch 64: He keeps the pre-activation std, Xavier shrinks it ≈ 2^(−19/2) (the contract's 'about 2⁻¹⁰')
    const depth = loadFixture('03-initialization', 'relu-depth', 'init-forward');
    const width = depth.recipe.sizes[1];
    const relu = (z: number) => (z > 0 ? z : 0);
    const reluRatio = (zs: Float64Array[]) => flatStd(zs[zs.length - 1]) / flatStd(zs[0]);
    const ratios = await statistics(ctx, depth, 'relu-ratio', relu, reluRatio);
    // one network's ratio spreads too wide at this width for a factor 3 (fixture's draws): the
    // geometric mean over several networks keeps a correct draw ≥ 5σ inside (test/readme-claims.test.ts)
    const heLim = depth.limits.heRatioLastFirst;
    const xLim = depth.limits.xavierRatioLastFirst;
    const he = ratios('heNormal');
    const xavier = ratios('xavierNormal');
    if (!within(he.value, heLim)) fail(`He, 20 ReLU layers of width ${width}: layer-20 / layer-1 pre-activation std = ${he.shown}, expected within a factor 3 of 1 ([${fmt(heLim.lo)}, ${fmt(heLim.hi)}])`);
    if (!within(xavier.value, xLim)) fail(`Xavier, 20 ReLU layers of width ${width}: layer-20 / layer-1 pre-activation std = ${xavier.shown}, expected ≈ 2^(−19/2), 19 layers that each halve the variance ([${fmt(xLim.lo)}, ${fmt(xLim.hi)}])`);

    // standard-normal weights saturate tanh: ≈ 4/5 of layer 5's entries have tanh′ < 1e-3
    const sat = loadFixture('03-initialization', 'tanh-saturation', 'init-forward');
    const satWidth = sat.recipe.sizes[1];
    const threshold = sat.threshold ?? 1e-3;
    const layer5Saturated = (zs: Float64Array[]) => {
      const z5 = zs[4];
      let count = 0;
      for (let t = 0; t < z5.length; t++) if (1 - Math.tanh(z5[t]) ** 2 < threshold) count++;
      return count / z5.length;
    };
    const fractions = await statistics(ctx, sat, `tanh-layer5<${threshold}`, Math.tanh, layer5Saturated);
    const sn = fractions('standardNormal');
    const xv = fractions('xavierNormal');
    const snLim = sat.limits.standardNormalLayer5;
    const xvLim = sat.limits.xavierNormalLayer5;
    if (!within(sn.value, snLim)) fail(`standard-normal tanh network of width ${satWidth}: the fraction of layer 5's pre-activations with tanh′ < ${threshold} is ${sn.shown}, expected [${fmt(snLim.lo)}, ${fmt(snLim.hi)}]`);
    if (!within(xv.value, xvLim)) fail(`Xavier tanh network of width ${satWidth}: the fraction of layer 5's pre-activations with tanh′ < ${threshold} is ${xv.shown}, expected [${fmt(xvLim.lo)}, ${fmt(xvLim.hi)}]`);
    // asked last, so that an experiment that fails keeps its own, more telling message
    for (const scheme of ['heNormal', 'xavierNormal'] as const) await expectSchemeFollowed(ctx, scheme);
  });
});
