/**
 * Hidden suite of 05-residual: residualForward/Backward against the fixtures (CS231n relative
 * error ≤ 1e-7), the backward pass against central finite differences of the student's own
 * forward pass (dx and both layers' dW and db), and the phenomenon: through 50 sigmoid blocks the
 * gradient that reaches the input stays within two orders of magnitude of the output's, where a
 * plain 50-layer sigmoid network loses some thirty.
 *
 * Known mistakes are recomputed here, in the trusted process, with a small reference written on
 * exercises/lib (never solutions/): a wrong answer that matches one fails with its diagnosis.
 */
import { loadFixture, rebuildResidualStack, type ResidualBlockData, type ResidualFixture } from '../../fixtures/load.js';
import { residualStackDxNorms, type ResidualImpl } from '../../fixtures/nets.js';
import { createRng, randnMatrix } from '../../exercises/lib/rng.js';
import { add, addRowVector, colSums, map, matmul, mul, transpose } from '../../exercises/lib/tensor.js';
import type { ActivationName, LayerGrads, Matrix, Vector } from '../../exercises/lib/types.js';
import type { Diagnosis } from '../results.js';
import { doesTheMath, expectMatrix, expectMatrixRel, expectRel, fail, findMistake, fmt, orderOf, type KnownMistake, maxRelError, mistake, speaking, withContext } from './check.js';
import { dot, expectBackpropCost, expectForwardOfTheExercise, expectMatchesNumeric, finiteDifferences, forwardsSeen, noteForward, type ParamRef, WIDE, wideAnswer, wideMatrix } from './gradcheck.js';
import { defineSuite, GradeFailure, type TestContext } from './harness.js';
import { ACT } from './activations.js';

const SLUG = '05-residual';
const FD_REL = 1e-6; // finite differences, float64, h = 1e-5, away from kinks
const MISTAKE_REL = 1e-6;

let cached: ResidualFixture | null = null;
const residualFixture = (): ResidualFixture => (cached ??= loadFixture(SLUG, 'residual', 'residual'));
const cases = (): ResidualFixture['cases'] => residualFixture().cases;
/** The fixture's tolerance: CS231n relative error (1e-7). */
function rel(): number {
  const t = residualFixture().tolerance;
  if (t.type !== 'relError') throw new Error(`fixtures/${SLUG}/residual.json: the suite expects a relError tolerance, got ${JSON.stringify(t)}`);
  return t.max;
}

// ---------------------------------------------------------------------------------------------
// The trusted reference and its known-mistake variants.


type FwdVariant = 'correct' | 'noIdentity' | 'actAfterSum' | 'actAfterSecond' | 'noAct';
type BwdVariant = 'correct' | 'noIdentity' | 'noBranch' | 'actGradAtOutput' | 'swapGrads';
interface Grads { dx: Matrix; grads: [LayerGrads, LayerGrads] }

function refForward(x: Matrix, block: ResidualBlockData, v: FwdVariant = 'correct'): { out: Matrix; z1: Matrix; h: Matrix } {
  const [l1, l2] = block.layers;
  const { f } = ACT[block.act];
  const z1 = addRowVector(matmul(x, l1.W), l1.b);
  const h = v === 'noAct' ? z1 : map(z1, f);
  const branch = addRowVector(matmul(h, l2.W), l2.b);
  const out = v === 'noIdentity' ? branch
    : v === 'actAfterSum' ? map(add(x, branch), f)
      : v === 'actAfterSecond' ? add(x, map(branch, f))
        : add(x, branch);
  return { out, z1, h };
}

function refBackward(dout: Matrix, x: Matrix, block: ResidualBlockData, v: BwdVariant = 'correct'): Grads {
  const [l1, l2] = block.layers;
  const { df } = ACT[block.act];
  const { z1, h } = refForward(x, block);
  const dh = matmul(dout, transpose(l2.W));
  const dz1 = mul(dh, map(v === 'actGradAtOutput' ? h : z1, df));
  const first: LayerGrads = { dW: matmul(transpose(x), dz1), db: colSums(dz1) };
  const second: LayerGrads = { dW: matmul(transpose(h), dout), db: colSums(dout) };
  const branch = matmul(dz1, transpose(l1.W));
  const dx = v === 'noIdentity' ? branch : v === 'noBranch' ? dout.map((r) => r.slice()) : add(dout, branch);
  return { dx, grads: v === 'swapGrads' ? [second, first] : [first, second] };
}

const M = {
  fwdNoIdentity: { id: 'residual-forward-missing-identity', hint: 'out is only the branch F(x): a residual block adds its input back, out = x + F(x).' },
  actAfterSum: { id: 'residual-activation-after-sum', hint: 'In this course’s block (He et al. 2016b, “Identity Mappings in Deep Residual Networks”) nothing follows the sum: the activation sits between the two layers only. The original 2016 ResNet block applied ReLU after the sum; this course’s does not.' },
  actAfterSecond: { id: 'residual-activation-after-second-layer', hint: 'The second layer is linear: F(x) = act(x·W₁ + b₁)·W₂ + b₂, with no activation after W₂.' },
  noAct: { id: 'residual-activation-missing', hint: 'The branch applies the block’s activation between its two layers.' },
  noIdentity: { id: 'residual-missing-identity', hint: 'dx is only the branch’s gradient: the identity path carries dout to dx unchanged, and the two paths add up.' },
  noBranch: { id: 'residual-missing-branch', hint: 'dx is only dout: the branch F also depends on x, and its gradient adds to the identity path’s.' },
  actGradAtOutput: { id: 'residual-act-grad-at-output', hint: 'Backprop through the activation multiplies by act′ at the PRE-activation z₁ = x·W₁ + b₁, not at h = act(z₁): keep z₁ in your cache.' },
  swapGrads: { id: 'residual-grads-swapped', hint: 'grads[0] belongs to layers[0], the first layer on the input side: is your list in the order of the backward pass?' },
} satisfies Record<string, Diagnosis>;

function outMistakes(x: Matrix, block: ResidualBlockData): KnownMistake[] {
  return [
    mistake(M.fwdNoIdentity, refForward(x, block, 'noIdentity').out),
    mistake(M.actAfterSum, refForward(x, block, 'actAfterSum').out),
    mistake(M.actAfterSecond, refForward(x, block, 'actAfterSecond').out),
    mistake(M.noAct, refForward(x, block, 'noAct').out),
  ];
}

function gradMistakes(dout: Matrix, x: Matrix, block: ResidualBlockData): KnownMistake[] {
  return (['noIdentity', 'noBranch', 'actGradAtOutput', 'swapGrads'] as const).map((v) => mistake(M[v], refBackward(dout, x, block, v)));
}

// ---------------------------------------------------------------------------------------------
// Calling the student.

function asResult(got: unknown, fn: string, keys: string[]): Record<string, unknown> {
  if (got === null || typeof got !== 'object' || Array.isArray(got)) fail(`${fn} should return an object { ${keys.join(', ')} }, got ${fmt(got)}`);
  const missing = keys.filter((k) => !(k in got));
  if (missing.length) fail(`${fn} should return an object { ${keys.join(', ')} }; '${missing.join("', '")}' missing (got keys ${fmt(Object.keys(got))})`);
  return got as Record<string, unknown>;
}

async function forward(ctx: TestContext, x: Matrix, block: ResidualBlockData): Promise<{ out: Matrix; cache: unknown }> {
  const r = asResult(await ctx.call('residualForward', x, block), 'residualForward', ['out', 'cache']);
  return { out: expectMatrix(r.out, x.length, x[0].length, 'residualForward(…).out'), cache: r.cache };
}

/** The backward result in its contract shape, or a failure that names what is off. */
function asGrads(got: unknown, n: number, d: number): Grads {
  const r = asResult(got, 'residualBackward', ['dx', 'grads']);
  const grads = r.grads;
  if (!Array.isArray(grads) || grads.length !== 2) fail(`residualBackward(…).grads should be [LayerGrads, LayerGrads], one { dW, db } per layer, got ${Array.isArray(grads) ? `${grads.length} entries` : fmt(grads)}`);
  const layer = (i: number): LayerGrads => {
    const g = asResult(grads[i], `residualBackward(…).grads[${i}]`, ['dW', 'db']);
    return { dW: expectMatrix(g.dW, d, d, `grads[${i}].dW`), db: g.db as Vector };
  };
  return { dx: expectMatrix(r.dx, n, d, 'dx'), grads: [layer(0), layer(1)] };
}

/** Compares a backward result with the reference's, entry by entry, naming the wrong gradient. */
function expectGrads(ctx: TestContext, got: Grads, want: Grads): void {
  expectMatrixRel(ctx, got.dx, want.dx, rel(), 'dx');
  want.grads.forEach((w, i) => {
    expectMatrixRel(ctx, got.grads[i].dW, w.dW, rel(), `grads[${i}].dW`);
    expectRel(ctx, got.grads[i].db, w.db, rel(), `grads[${i}].db`);
  });
}

// ---------------------------------------------------------------------------------------------
// Finite-difference inputs: small blocks, random weights, every pre-activation ≥ 0.05 from a
// kink (so ±h never crosses one) and every nonzero gradient entry clearly away from 0.

function gradcheckCase(act: ActivationName, seed0: number): { x: Matrix; block: ResidualBlockData; dout: Matrix } {
  for (let seed = seed0; ; seed++) {
    const rng = createRng(seed);
    const [n, d] = [3, 3];
    const rand = (r: number, c: number, s: number) => map(randnMatrix(r, c, rng), (v) => s * v);
    const x = rand(n, d, 1);
    const block: ResidualBlockData = {
      layers: [{ W: rand(d, d, 0.8), b: rand(1, d, 0.5)[0] }, { W: rand(d, d, 0.8), b: rand(1, d, 0.5)[0] }],
      act,
    };
    const dout = rand(n, d, 1);
    const { z1 } = refForward(x, block);
    const g = refBackward(dout, x, block);
    const entries = [...g.dx.flat(), ...g.grads.flatMap((l) => [...l.dW.flat(), ...l.db])];
    if (z1.flat().every((z) => Math.abs(z) > 0.05) && entries.every((e) => e === 0 || Math.abs(e) > 0.01)) return { x, block, dout };
  }
}

const subscript = (n: number): string => String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);
const labelled = (c: { label: string; inputs: { block: { act: string } } }): string => (c.label === c.inputs.block.act ? '' : ` (${c.label})`);

/**
 * Each backward test also times a wide block (gradcheck.ts, expectBackpropCost): two 256 × 256
 * layers, where numerical differentiation needs ≈ 2·131,072 forward passes. Its answer is judged.
 * Eight rows, not WIDE_ROWS: the reference 05 applies its activation through 02's neuronForward
 * entry by entry, a round trip to the trusted side each for a student whose own 02 is wrong.
 */
const WIDE_BLOCK_ROWS = 8;
const WIDE_BLOCK: { x: Matrix; block: ResidualBlockData; dout: Matrix } = {
  x: wideMatrix(WIDE_BLOCK_ROWS, WIDE, 7301),
  block: { layers: [{ W: wideMatrix(WIDE, WIDE, 7302, 1 / 16), b: new Array(WIDE).fill(0.1) }, { W: wideMatrix(WIDE, WIDE, 7303, 1 / 16), b: new Array(WIDE).fill(-0.1) }], act: 'tanh' },
  dout: wideMatrix(WIDE_BLOCK_ROWS, WIDE, 7304),
};
const WIDE_BLOCK_ANSWER = wideAnswer(() => refBackward(WIDE_BLOCK.dout, WIDE_BLOCK.x, WIDE_BLOCK.block), () => gradMistakes(WIDE_BLOCK.dout, WIDE_BLOCK.x, WIDE_BLOCK.block));
const residualCost = (ctx: TestContext): Promise<void> => expectBackpropCost(ctx, 'residualBackward', async () => {
  const fwd = await forward(ctx, WIDE_BLOCK.x, WIDE_BLOCK.block);
  return ctx.call('residualBackward', WIDE_BLOCK.dout, fwd.cache);
}, WIDE_BLOCK_ANSWER);

export default defineSuite(SLUG, (test) => {
  test('residual.forward.values', async (ctx) => {
    for (const c of cases()) {
      const { x, block } = c.inputs;
      const { out } = await forward(ctx, x, block);
      const mistakes = outMistakes(x, block);
      await noteForward(ctx, out, c.expected.out, mistakes);
      // residual.json is hidden: this visible test says where and how far, never its values
      withContext(`residualForward with act '${block.act}'${labelled(c)}`, () => expectMatrixRel(speaking(ctx, residualFixture()), out, c.expected.out, rel(), 'out'),
        findMistake(out, c.expected.out, mistakes, MISTAKE_REL));
    }
  });

  test('residual.backward.fixture', async (ctx) => {
    for (const c of cases()) {
      const { x, block, dout } = c.inputs;
      const where = `residualBackward after residualForward with act '${block.act}'${labelled(c)}`;
      const fwd = await forward(ctx, x, block);
      const outErr = maxRelError(fwd.out, c.expected.out);
      if (!(outErr <= rel())) {
        // the order of the error only: an exact relative error against a chosen wrong out gives the hidden value back
        fail(`${where}: your residualForward's out is already off (relative error of order ${orderOf(outErr)}, more than ${fmt(rel())}), so the gradients cannot match the reference; see residual.forward.values`,
          findMistake(fwd.out, c.expected.out, outMistakes(x, block), MISTAKE_REL));
      }
      const got = asGrads(await ctx.call('residualBackward', dout, fwd.cache), x.length, x[0].length);
      const want: Grads = { dx: c.expected.dx, grads: c.expected.grads };
      withContext(where, () => expectGrads(ctx, got, want), findMistake(got, want, gradMistakes(dout, x, block), MISTAKE_REL));
    }
    await residualCost(ctx);
  });

  test('residual.backward.gradcheck', async (ctx) => {
    // the first activation whose gradients disagree is reported in full, the others by name
    let report: { problems: string[]; diagnosis?: Diagnosis } | null = null;
    const alsoWrong: string[] = [];
    for (const [k, act] of (['sigmoid', 'tanh', 'relu'] as const).entries()) {
      const { x, block, dout } = gradcheckCase(act, 5401 + 100 * k);
      const fwd = await forward(ctx, x, block);
      const got = asGrads(await ctx.call('residualBackward', dout, fwd.cache), x.length, x[0].length);
      const params: ParamRef[] = [
        { name: 'dx', path: [0] },
        { name: 'grads[0].dW', path: [1, 'layers', 0, 'W'] }, { name: 'grads[0].db', path: [1, 'layers', 0, 'b'] },
        { name: 'grads[1].dW', path: [1, 'layers', 1, 'W'] }, { name: 'grads[1].db', path: [1, 'layers', 1, 'b'] },
      ];
      const numeric = await finiteDifferences(ctx, 'residualForward', [x, block], params, (out) => dot(out, dout),
        { forward: { name: `residualForward (act '${act}')`, out: (r) => asResult(r, 'residualForward', ['out']).out,
          correct: (a) => refForward(a[0] as Matrix, a[1] as ResidualBlockData).out, mistakes: (a) => outMistakes(a[0] as Matrix, a[1] as ResidualBlockData), centre: fwd.out, seen: await forwardsSeen(ctx) } });
      expectForwardOfTheExercise(fwd.out, refForward(x, block).out, outMistakes(x, block), `residualForward (act '${act}')`);
      const analytic = (name: string): unknown => {
        const m = /^grads\[(\d)\]\.(dW|db)$/.exec(name);
        return m ? got.grads[Number(m[1])][m[2] as 'dW' | 'db'] : got.dx;
      };
      const problems: string[] = [];
      for (const num of numeric) {
        try {
          expectMatchesNumeric(analytic(num.name), num, FD_REL, `residualForward (act '${act}')`);
        } catch (err) {
          if (!(err instanceof GradeFailure)) throw err;
          problems.push(err.message);
        }
      }
      if (!problems.length) continue;
      if (report) {
        alsoWrong.push(`'${act}'`);
        continue;
      }
      // name the mistake when the forward is the reference's and the backward a known wrong one
      const ref = refForward(x, block).out;
      const diagnosis = maxRelError(fwd.out, ref) <= MISTAKE_REL
        ? findMistake(got, refBackward(dout, x, block), gradMistakes(dout, x, block), MISTAKE_REL)
        : findMistake(fwd.out, ref, outMistakes(x, block), MISTAKE_REL);
      report = { problems, diagnosis };
    }
    if (report) {
      const also = alsoWrong.length ? `\n(the gradients disagree with act ${alsoWrong.join(' and ')} too)` : '';
      fail(report.problems.join('\n') + also, report.diagnosis);
    }
    await residualCost(ctx);
  });

  test('residual.deep.gradientFlow', async (ctx) => {
    const f = loadFixture(SLUG, 'residual-depth', 'residual-depth');
    const r = f.recipes.residual;
    const { x, blocks, dout } = rebuildResidualStack(r);
    // the last block (the first the backward pass reaches): its input, out, the gradient it got and its answer
    let last = undefined as { input: Matrix; out: Matrix; dout: Matrix; got: Grads } | undefined;
    // the block whose forward pass ran last: the last block, once the forward pass is done
    let latest = undefined as { input: Matrix; out: Matrix } | undefined;
    const impl: ResidualImpl = {
      residualForward: async (h, block) => {
        const fwd = await forward(ctx, h, block);
        latest = { input: h, out: fwd.out };
        return fwd;
      },
      residualBackward: async (g, cache) => {
        const got = asGrads(await ctx.call('residualBackward', g, cache), g.length, g[0].length);
        last ??= { ...(latest as { input: Matrix; out: Matrix }), dout: g, got };
        return got;
      },
    };
    const norms = await residualStackDxNorms(x, blocks, dout, impl);
    // a block that does nothing (out = x; dx = dout, every gradient 0, or nudged by an ulp) carries
    // the gradient back whole too: these points go to a stack whose last block's forward pass is
    // right, or wrong by a known mistake. Its backward pass is the ratio's to judge (dx = dout alone
    // is the known missing-branch mistake, and keeps the ratio in range by design)
    if (!last) throw new Error('residualStackDxNorms made no backward call');
    const { input, out, dout: g, got } = last;
    const block = blocks[blocks.length - 1];
    if (!doesTheMath(out, refForward(input, block).out, outMistakes(input, block))) {
      fail(`at the last of the ${r.blocks} blocks your residualForward gives neither the contract’s answer nor a known mistake’s: a block that does nothing carries the gradient back whole as well, so these points go to a block that does the math`);
    }
    const ratio = norms[0] / norms[r.blocks];
    const lim = f.limits.residualRatio;
    if (!Number.isFinite(ratio) || !(ratio >= lim.lo && ratio <= lim.hi)) {
      // a missing identity path, named from the last block
      const diagnosis = findMistake(got.dx, refBackward(g, input, block).dx, [mistake(M.noIdentity, refBackward(g, input, block, 'noIdentity').dx)], MISTAKE_REL);
      fail(`through ${r.blocks} residual blocks (${r.act} branch, width ${r.width}, ${r.init}, batch ${r.batch}) your residualBackward gives ‖dx₀‖/‖dx${subscript(r.blocks)}‖ = ${fmt(ratio)}; ` +
        // never the plain network's ratio itself: it is a hidden fixture's expected value (issue 18)
        `wrong, it should stay between ${fmt(lim.lo)} and ${fmt(lim.hi)} (the identity path carries the gradient back whole; without it the stack is a plain ${f.recipes.plain.sizes.length - 1}-layer sigmoid network, whose gradient vanishes: see the README)`, diagnosis);
    }
  });
});
