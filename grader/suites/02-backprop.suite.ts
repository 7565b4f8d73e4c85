/**
 * Hidden suite of 02-backprop: forward and backward passes against the fixtures (CS231n relative
 * error ≤ 1e-7), every backward pass against central finite differences of the student's own
 * forward pass, and the vanishing gradient of a 10-layer sigmoid network next to ReLU/He.
 */
import { loadFixture, rebuildMlp, type DeepMlpGradientsFixture, type FixtureByKind, type FixtureKind } from '../../fixtures/load.js';
import { doesTheMath, expectMatrixRel, expectNumber, expectVectorRel, fail, findMistake, fmt, hiddenMiss, maxRelError, mistake, relError, speaking, withDiagnosis } from './check.js';
import { ACT } from './activations.js';
import { dot, expectBackpropCost, expectForwardOfTheExercise, expectMatchesNumeric, finiteDifferences, forwardsSeen, noteForward, WIDE, WIDE_ROWS, wideAnswer, wideMatrix } from './gradcheck.js';
import { defineSuite, type TestContext } from './harness.js';
import { createRng, randnMatrix } from '../../exercises/lib/rng.js';
import { addRowVector, colSums, map, matmul, mul, transpose } from '../../exercises/lib/tensor.js';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../../exercises/lib/types.js';
import type { Diagnosis } from '../results.js';

const REL = 1e-7; // the contract's fixture tolerance
const FD_REL = 1e-6; // finite differences in float64 with h = 1e-5 on smooth functions
const MISTAKE_REL = 1e-6; // a wrong answer "matches" a known mistake within this

const fixture = <K extends FixtureKind>(name: string, kind: K): FixtureByKind[K] => loadFixture('02-backprop', name, kind);
/** The public fixture, then the hidden one: a visible test shows the public one's expected values only (see speaking). */
const bothFixtures = <K extends FixtureKind>(name: string, kind: K): FixtureByKind[K][] => [fixture(`${name}-public`, kind), fixture(name, kind)];

/**
 * The gradient checks' inputs, their own (seeded here, in no fixture): finite differences on a
 * hidden fixture's inputs would print that fixture's expected gradients as `numeric`.
 */
function gradcheckLayer(fanIn: number, fanOut: number, rng: ReturnType<typeof createRng>): Dense {
  return { W: map(randnMatrix(fanIn, fanOut, rng), (v) => 0.8 * v), b: randnMatrix(1, fanOut, rng)[0].map((v) => 0.3 * v) };
}
function gradcheckDense(): { x: Matrix; layer: Dense; dz: Matrix } {
  const rng = createRng(2104);
  return { x: randnMatrix(5, 7, rng), layer: gradcheckLayer(7, 3, rng), dz: randnMatrix(5, 3, rng) };
}
function gradcheckMlp(act: ActivationName, seed: number): { x: Matrix; layers: Dense[]; dout: Matrix } {
  const rng = createRng(seed);
  const sizes = [4, 6, 5, 3];
  const layers = sizes.slice(1).map((fanOut, i) => gradcheckLayer(sizes[i], fanOut, rng));
  return { x: randnMatrix(7, 4, rng), layers, dout: randnMatrix(7, 3, rng) };
}

interface MlpOut { out: Matrix; cache: unknown }
interface MlpGrads { dx: Matrix; grads: LayerGrads[] }

const M = {
  reversed: { id: 'grads-reversed', hint: 'grads[i] belongs to layers[i], input side first: does your list come out in the order of the backward loop?' },
  gradAtOutput: { id: 'act-grad-at-output', hint: 'act′ is evaluated at the pre-activation z, not at the activation a = act(z): keep z in your cache and pass it to activationBackward.' },
  actAfterLast: { id: 'activation-after-last-layer', hint: 'act is applied after every layer but the last: the last layer is linear, its output is its z.' },
  normsWithBias: { id: 'layer-norms-include-bias', hint: 'layerGradNorms is the Frobenius norm of each layer’s dW: which of the layer’s gradients go into your sum?' },
} satisfies Record<string, Diagnosis>;

type MlpVariant = 'correct' | 'gradAtOutput' | 'actAfterLast';

/** The MLP in the trusted process (exercises/lib and the suites' activation table), and its known-mistake variants. */
function refMlp(x: Matrix, layers: Dense[], act: ActivationName, dout: Matrix, v: MlpVariant = 'correct'): { out: Matrix; dx: Matrix; grads: LayerGrads[] } {
  const { f, df } = ACT[act];
  const last = layers.length - 1;
  const inputs: Matrix[] = [];
  const zs: Matrix[] = [];
  let h = x;
  layers.forEach((layer, i) => {
    inputs.push(h);
    const z = addRowVector(matmul(h, layer.W), layer.b);
    zs.push(z);
    h = i < last || v === 'actAfterLast' ? map(z, f) : z;
  });
  const grads: LayerGrads[] = new Array(layers.length);
  const atZ = (z: Matrix) => (v === 'gradAtOutput' ? map(z, (zz) => df(f(zz))) : map(z, df));
  let dz = v === 'actAfterLast' ? mul(dout, atZ(zs[last])) : dout;
  let dx = dz;
  for (let i = last; i >= 0; i--) {
    grads[i] = { dW: matmul(transpose(inputs[i]), dz), db: colSums(dz) };
    dx = matmul(dz, transpose(layers[i].W));
    if (i > 0) dz = mul(dx, atZ(zs[i - 1]));
  }
  return { out: h, dx, grads };
}

function expectGrads(ctx: TestContext, got: unknown, want: LayerGrads[], what: string): void {
  if (!Array.isArray(got) || got.length !== want.length) {
    fail(`${what} should hold one { dW, db } per layer (${want.length}), got ${Array.isArray(got) ? got.length : fmt(got)}`);
  }
  // a list in the wrong order is a classic: say so instead of only "wrong numbers" (or wrong shapes)
  const n = want.length;
  if (n > 1 && want.every((w, i) => maxRelError((got[n - 1 - i] as Partial<LayerGrads> | undefined)?.dW, w.dW) <= REL) &&
    !want.every((w, i) => maxRelError((got[i] as Partial<LayerGrads> | undefined)?.dW, w.dW) <= REL)) {
    fail(`${what} holds the layers' gradients in reverse order: ${what}[0] is the last layer's`, M.reversed);
  }
  want.forEach((w, i) => {
    const g = got[i] as Partial<LayerGrads> | undefined;
    expectMatrixRel(ctx, g?.dW, w.dW, REL, `${what}[${i}].dW`);
    expectVectorRel(ctx, g?.db, w.db, REL, `${what}[${i}].db`);
  });
}

/** ‖dW‖ per layer of the student's own forward/backward on a recipe network. */
async function deepGradNorms(ctx: TestContext, f: DeepMlpGradientsFixture): Promise<number[]> {
  const { x, layers, dout } = rebuildMlp(f.recipe);
  const fwd = await ctx.call<MlpOut>('mlpForward', x, layers, f.recipe.act);
  // made-up norms show any ratio: the network counts only if its forward pass is the contract's, or a
  // known mistake's (a backward mistake is the value tests' to charge, as the ratio's range allows)
  const ref = (v: MlpVariant) => refMlp(x, layers, f.recipe.act, dout, v).out;
  if (!doesTheMath(fwd?.out, ref('correct'), [mistake(M.actAfterLast, ref('actAfterLast'))])) {
    fail(`your mlpForward on the ${layers.length}-layer ${f.recipe.act} network is neither the contract’s nor a known mistake’s, so its gradient norms cannot show the phenomenon; mlpForward.values says how it differs`);
  }
  const bwd = await ctx.call<MlpGrads>('mlpBackward', dout, fwd.cache);
  // made-up gradients show any ratio too (an attacker's all-ones dW scaled by 0.25 a layer): the first
  // and the last layer's dW must be a backward pass's — the contract's or a known mistake's, in either
  // order (grads reversed) and either way round (dW transposed: the same norm); a wrong db, which the
  // norms do not read, is the value tests' to charge
  const near = (a: unknown, b: Matrix) => maxRelError(a, b) <= 1e-6 || maxRelError(a, transpose(b)) <= 1e-6;
  const ends = (g: unknown): [unknown, unknown] => { const l = Array.isArray(g) ? g as Partial<LayerGrads>[] : []; return [l[0]?.dW, l[l.length - 1]?.dW]; };
  const [first, last] = ends(bwd?.grads);
  const backward = (['correct', 'gradAtOutput', 'actAfterLast'] as const).some((v) => {
    const g = refMlp(x, layers, f.recipe.act, dout, v).grads;
    const [f0, l0] = [g[0].dW, g[g.length - 1].dW];
    return (near(first, f0) && near(last, l0)) || (near(first, l0) && near(last, f0));
  });
  if (!backward) fail(`your mlpBackward on the ${layers.length}-layer ${f.recipe.act} network gives a first and a last dW that are neither the contract’s nor a known mistake’s, so its gradient norms cannot show the phenomenon; mlpBackward.fixture says how it differs`);
  const norms = await ctx.call<unknown>('layerGradNorms', bwd.grads);
  if (!Array.isArray(norms) || norms.length !== layers.length) fail(`layerGradNorms should give one norm per layer (${layers.length}), got ${fmt(norms)}`);
  return norms.map((n, i) => expectNumber(n, `layerGradNorms(...)[${i}]`));
}

const DB_MEAN: Diagnosis = { id: 'db-mean', hint: 'z = x·W + b adds b to every row: each row contributes its full dz to db. Sum, do not average.' };

/** Each backward test also times a wide layer (gradcheck.ts, expectBackpropCost), and judges its answer. */
const wideLayer = (seed: number): Dense => ({ W: wideMatrix(WIDE, WIDE, seed, 1 / 16), b: new Array(WIDE).fill(0.1) });
const WIDE_DENSE = { x: wideMatrix(WIDE_ROWS, WIDE, 7101), layer: wideLayer(7102), dz: wideMatrix(WIDE_ROWS, WIDE, 7103) };
const WIDE_MLP = { x: wideMatrix(WIDE_ROWS, WIDE, 7111), layers: [wideLayer(7112), wideLayer(7113)], dout: wideMatrix(WIDE_ROWS, WIDE, 7114) };
// one linear layer of refMlp is the dense layer's backward pass
const WIDE_DENSE_ANSWER = wideAnswer(() => {
  const one = refMlp(WIDE_DENSE.x, [WIDE_DENSE.layer], 'tanh', WIDE_DENSE.dz);
  return { dx: one.dx, dW: one.grads[0].dW, db: one.grads[0].db };
}, (dense) => [mistake(DB_MEAN, { ...dense, db: dense.db.map((v) => v / WIDE_DENSE.x.length) })]);
const wideMlp = (v: MlpVariant) => { const r = refMlp(WIDE_MLP.x, WIDE_MLP.layers, 'tanh', WIDE_MLP.dout, v); return { dx: r.dx, grads: r.grads }; };
const WIDE_MLP_ANSWER = wideAnswer(() => wideMlp('correct'), () => [mistake(M.gradAtOutput, wideMlp('gradAtOutput')), mistake(M.actAfterLast, wideMlp('actAfterLast'))]);
const denseCost = (ctx: TestContext): Promise<void> => expectBackpropCost(ctx, 'denseBackward',
  () => ctx.call('denseBackward', WIDE_DENSE.dz, WIDE_DENSE.x, WIDE_DENSE.layer), WIDE_DENSE_ANSWER);
const mlpCost = (ctx: TestContext): Promise<void> => expectBackpropCost(ctx, 'mlpBackward', async () => {
  const fwd = await ctx.call<MlpOut>('mlpForward', WIDE_MLP.x, WIDE_MLP.layers, 'tanh');
  const got = await ctx.call<Partial<MlpGrads>>('mlpBackward', WIDE_MLP.dout, fwd?.cache);
  return { dx: got?.dx, grads: got?.grads };
}, WIDE_MLP_ANSWER);

export default defineSuite('02-backprop', (test) => {
  test('backprop.neuronForward.values', async (ctx) => {
    for (const f of bothFixtures('neuron', 'neuron-forward')) for (const c of f.cases) {
      const { w, b, x, act } = c.inputs;
      const got = await ctx.call<{ z: unknown; a: unknown }>('neuronForward', w, b, x, act);
      const where = `neuronForward(w = ${fmt(w)}, b = ${fmt(b)}, x = ${fmt(x)}, '${act}')`;
      for (const key of ['z', 'a'] as const) {
        const g = expectNumber(got?.[key], `${where}.${key}`);
        const err = relError(g, c.expected[key]);
        if (err > REL) {
          fail(`${where}.${key}: ${speaking(ctx, f).hidden ? `wrong, ${hiddenMiss(err, REL)}` : `expected ${fmt(c.expected[key])}, got ${fmt(g)} (relative error ${fmt(err)} > ${fmt(REL)})`}`,
            key === 'a' && relError(g, c.expected.z) <= REL ? { id: 'activation-missing', hint: 'a is act(z): is the activation applied?' } : undefined);
        }
      }
    }
  });

  test('backprop.denseForward.values', async (ctx) => {
    for (const f of bothFixtures('dense', 'dense')) for (const c of f.cases) {
      const z = await ctx.call('denseForward', c.inputs.x, c.inputs.layer);
      expectMatrixRel(speaking(ctx, f), z, c.expected.z, REL, `denseForward (${c.label})`);
    }
  });

  test('backprop.denseBackward.fixture', async (ctx) => {
    for (const c of fixture('dense', 'dense').cases) {
      const got = await ctx.call<Record<string, unknown>>('denseBackward', c.inputs.dz, c.inputs.x, c.inputs.layer);
      expectMatrixRel(ctx, got?.dx, c.expected.dx, REL, 'dx');
      expectMatrixRel(ctx, got?.dW, c.expected.dW, REL, 'dW');
      const db = got?.db;
      if (Array.isArray(db) && db.length === c.expected.db.length && c.inputs.x.length > 1 &&
        db.every((v, j) => relError((v as number) * c.inputs.x.length, c.expected.db[j]) <= REL)) {
        fail('db is the mean of dz over the batch', DB_MEAN);
      }
      expectVectorRel(ctx, db, c.expected.db, REL, 'db');
    }
    await denseCost(ctx);
  });

  test('backprop.denseBackward.gradcheck', async (ctx) => {
    const { x, layer, dz } = gradcheckDense();
    const got = await ctx.call<Record<string, unknown>>('denseBackward', dz, x, layer);
    const dense = (args: unknown[]) => { const [xx, l] = args as [Matrix, Dense]; return addRowVector(matmul(xx, l.W), l.b); };
    const numeric = await finiteDifferences(ctx, 'denseForward', [x, layer],
      [{ name: 'dx', path: [0] }, { name: 'dW', path: [1, 'W'] }, { name: 'db', path: [1, 'b'] }], (out) => dot(out, dz),
      { forward: { name: 'denseForward', out: (r) => r, correct: dense, mistakes: () => [] } });
    expectForwardOfTheExercise(await ctx.call('denseForward', x, layer), dense([x, layer]), [], 'denseForward');
    for (const n of numeric) expectMatchesNumeric(got?.[n.name], n, FD_REL, 'denseForward');
    await denseCost(ctx);
  });

  test('backprop.activationBackward.all', async (ctx) => {
    for (const f of bothFixtures('activation-backward', 'activation-backward')) for (const c of f.cases) {
      const { act, z, da } = c.inputs;
      const dz = await ctx.call('activationBackward', da, z, act);
      const atOutput = mul(da, map(z, (v) => ACT[act].df(ACT[act].f(v))));
      withDiagnosis(findMistake(dz, c.expected.dz, [mistake(M.gradAtOutput, atOutput)], MISTAKE_REL),
        () => expectMatrixRel(speaking(ctx, f), dz, c.expected.dz, REL, `activationBackward(da, z, '${act}')`));
    }
  });

  test('backprop.mlpForward.values', async (ctx) => {
    for (const c of fixture('mlp', 'mlp').cases) {
      const { x, layers, act, dout } = c.inputs;
      const got = await ctx.call<MlpOut>('mlpForward', x, layers, act);
      const mistakes = [mistake(M.actAfterLast, refMlp(x, layers, act, dout, 'actAfterLast').out)];
      await noteForward(ctx, got?.out, c.expected.out, mistakes);
      withDiagnosis(findMistake(got?.out, c.expected.out, mistakes, MISTAKE_REL),
        () => expectMatrixRel(ctx, got?.out, c.expected.out, REL, `mlpForward(..., '${act}').out`));
    }
  });

  test('backprop.mlpBackward.fixture', async (ctx) => {
    for (const c of fixture('mlp', 'mlp').cases) {
      const { x, layers, act, dout } = c.inputs;
      const fwd = await ctx.call<MlpOut>('mlpForward', x, layers, act);
      const got = await ctx.call<Partial<MlpGrads>>('mlpBackward', dout, fwd?.cache);
      const wrong = (v: MlpVariant) => { const r = refMlp(x, layers, act, dout, v); return { dx: r.dx, grads: r.grads }; };
      const diagnosis = findMistake({ dx: got?.dx, grads: got?.grads }, { dx: c.expected.dx, grads: c.expected.grads },
        [mistake(M.gradAtOutput, wrong('gradAtOutput')), mistake(M.actAfterLast, wrong('actAfterLast'))], MISTAKE_REL);
      withDiagnosis(diagnosis, () => {
        expectMatrixRel(ctx, got?.dx, c.expected.dx, REL, `mlpBackward ('${act}').dx`);
        expectGrads(ctx, got?.grads, c.expected.grads, `mlpBackward ('${act}').grads`);
      });
    }
    await mlpCost(ctx);
  });

  test('backprop.mlpBackward.gradcheck', async (ctx) => {
    // smooth activations only: finite differences across a ReLU kink would be wrong, not the student
    for (const [k, act] of (['sigmoid', 'tanh', 'elu'] as const).entries()) {
      const { x, layers, dout } = gradcheckMlp(act, 2201 + k);
      const fwd = await ctx.call<MlpOut>('mlpForward', x, layers, act);
      const got = await ctx.call<Partial<MlpGrads>>('mlpBackward', dout, fwd?.cache);
      const params = [{ name: 'dx', path: [0] as (string | number)[] }];
      layers.forEach((_l: Dense, i: number) => params.push({ name: `grads[${i}].dW`, path: [1, i, 'W'] }, { name: `grads[${i}].db`, path: [1, i, 'b'] }));
      const ref = (args: unknown[], v: MlpVariant) => { const [xx, ls] = args as [Matrix, Dense[]]; return refMlp(xx, ls, act, dout, v).out; };
      const mistakes = (args: unknown[]) => [mistake(M.actAfterLast, ref(args, 'actAfterLast'))];
      const numeric = await finiteDifferences(ctx, 'mlpForward', [x, layers, act], params, (out) => dot(out, dout),
        { maxPerParam: 16, forward: { name: `mlpForward ('${act}')`, out: (r) => (r as MlpOut | null)?.out, correct: (args) => ref(args, 'correct'), mistakes, centre: fwd?.out, seen: await forwardsSeen(ctx) } });
      expectForwardOfTheExercise(fwd?.out, ref([x, layers], 'correct'), mistakes([x, layers]), `mlpForward ('${act}')`);
      for (const n of numeric) {
        const m = /^grads\[(\d+)\]\.(dW|db)$/.exec(n.name);
        const analytic = m ? (got?.grads?.[Number(m[1])] as Record<string, unknown> | undefined)?.[m[2]] : got?.dx;
        expectMatchesNumeric(analytic, { ...n, name: `${n.name} ('${act}')` }, FD_REL, 'mlpForward');
      }
    }
    await mlpCost(ctx);
  });

  test('backprop.mseLoss.values', async (ctx) => {
    for (const f of bothFixtures('mse-loss', 'mse-loss')) for (const c of f.cases) {
      const got = await ctx.call<{ loss: unknown; dpred: unknown }>('mseLoss', c.inputs.pred, c.inputs.target);
      const loss = expectNumber(got?.loss, 'loss');
      const [n, d] = [c.inputs.pred.length, c.inputs.pred[0].length];
      if (relError(loss, c.expected.loss) > REL) {
        const perEntry = relError(loss * d, c.expected.loss) <= REL;
        const noHalf = relError(loss, 2 * c.expected.loss) <= REL;
        const err = relError(loss, c.expected.loss);
        fail(`loss for a [${n}x${d}] batch: ${speaking(ctx, f).hidden ? `wrong, ${hiddenMiss(err, REL)}` : `expected ${fmt(c.expected.loss)}, got ${fmt(loss)} (relative error ${fmt(err)})`}`,
          perEntry ? { id: 'mse-per-entry', hint: 'N is the batch size (rows), not the number of entries: loss = (1/2N) Σᵢ ‖predᵢ − targetᵢ‖².' }
            : noHalf ? { id: 'mse-missing-half', hint: 'The contract’s loss has a factor ½ so that dpred has none: loss = (1/2N) Σ‖pred − target‖².' } : undefined);
      }
      expectMatrixRel(speaking(ctx, f), got?.dpred, c.expected.dpred, REL, 'dpred');
    }
  });

  test('backprop.layerGradNorms.vanishing', async (ctx) => {
    // on known gradients first, so a wrong norm is not blamed on the network: the case's public
    // weights and biases stand in for them (an expected value never goes into student code)
    for (const c of fixture('mlp', 'mlp').cases) {
      const grads = c.inputs.layers.map((l) => ({ dW: l.W, db: l.b }));
      const norms = await ctx.call('layerGradNorms', grads);
      const want = grads.map((g) => Math.hypot(...g.dW.flat()));
      withDiagnosis(findMistake(norms, want, [mistake(M.normsWithBias, grads.map((g) => Math.hypot(...g.dW.flat(), ...g.db)))], MISTAKE_REL),
        () => expectVectorRel(ctx, norms, want, REL, `layerGradNorms (${c.label}, its weights as gradients)`));
    }
    // then the phenomenon, on the student's own network: the ratio in its range, whatever the exact
    // norms (exactness is the value tests' job, so one backprop bug is not charged here again)
    for (const name of ['vanishing-sigmoid-xavier', 'vanishing-relu-he']) {
      const f = fixture(name, 'deep-mlp-gradients');
      const norms = await deepGradNorms(ctx, f);
      const ratio = norms[0] / norms[norms.length - 1];
      const lim = f.limits.ratioFirstLast;
      const what = `${f.recipe.sizes.length - 1}-layer ${f.recipe.act}/${f.recipe.init} network (your mlpForward, mlpBackward and layerGradNorms): ‖dW₁‖/‖dW_last‖`;
      if (!(ratio >= lim.lo && ratio <= lim.hi)) fail(`${what} = ${fmt(ratio)}, expected between ${fmt(lim.lo)} and ${fmt(lim.hi)}`);
    }
  });
});
