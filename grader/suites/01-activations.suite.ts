/**
 * Hidden suite of 01-activations: every function on the contract's grid (|got − want| ≤ 1e-12 +
 * 1e-9·|want|), finite everywhere, plus the phenomena: σ′ ≤ 0.25, tanh′(10) small but not zero,
 * ReLU′ exactly 0 for x ≤ 0, and the optional slope and α honoured.
 */
import { loadFixture, type ActivationFnName } from '../../fixtures/load.js';
import { ACT } from './activations.js';
import { fail, fmt, hiddenMiss, speaking } from './check.js';
import { defineSuite, type TestContext } from './harness.js';
import type { Diagnosis } from '../results.js';

// the public grid first: a visible test shows its expected values, never the hidden grid's
const grids = () => [loadFixture('01-activations', 'grid-public', 'activation-grid'), loadFixture('01-activations', 'grid', 'activation-grid')];

/** A fine sweep for properties that need no reference values (σ′ ≤ 0.25, ReLU′ = 0 below 0). */
const SWEEP = Array.from({ length: 241 }, (_, i) => -60 + i * 0.5).concat([-1e-300, -0, 0, 1e-300]);

/** Calls `fn` on every grid point of every fixture case for it and compares. */
async function checkGrid(ctx: TestContext, fn: ActivationFnName, diagnose?: (x: number, got: number, want: number, param: number | null) => Diagnosis | undefined): Promise<void> {
  // a hidden test grades on the hidden grid alone, as it always did
  for (const f of ctx.hidden ? grids().slice(1) : grids()) await checkCases(speaking(ctx, f), ctx, f, fn, diagnose);
}

async function checkCases(shown: { hidden: boolean }, ctx: TestContext, f: ReturnType<typeof grids>[number], fn: ActivationFnName, diagnose?: (x: number, got: number, want: number, param: number | null) => Diagnosis | undefined): Promise<void> {
  const { rtol, atol } = f.tolerance as { rtol: number; atol: number };
  for (const c of f.cases.filter((k) => k.inputs.fn === fn)) {
    const { x, param } = c.inputs;
    const got = await ctx.callMany<unknown>(fn, x.map((xi) => (param === null ? [xi] : [xi, param])));
    x.forEach((xi, i) => {
      const g = got[i];
      const want = c.expected.y[i];
      const call = param === null ? `${fn}(${fmt(xi)})` : `${fn}(${fmt(xi)}, ${fmt(param)})`;
      if (typeof g !== 'number') fail(`${call} should return a number, got ${fmt(g)}`);
      if (!Number.isFinite(g)) {
        fail(`${call} returned ${g}: every function must be finite for |x| ≤ 1000`,
          { id: 'overflow', hint: 'Math.exp(x) overflows to Infinity past x ≈ 709. Rewrite the formula so that only e raised to a non-positive power is computed on each side of 0.' });
      }
      const err = Math.abs(g - want);
      if (!(err <= atol + rtol * Math.abs(want))) {
        fail(shown.hidden
          ? `${call}: wrong, ${hiddenMiss(err / Math.max(Math.abs(want), atol), rtol)}`
          : `${call}: expected ${fmt(want)}, got ${fmt(g)} (|error| ${fmt(err)} > ${fmt(atol)} + ${fmt(rtol)}·|expected|)`, diagnose?.(xi, g, want, param));
      }
    });
  }
}

const SATURATED_TO_ZERO: Diagnosis = { id: 'saturated-to-zero', hint: 'Far from 0 tanh′ is tiny (≈ 8.2e-9 at x = 10) but not 0 in float64; only from x ≈ 19.06 does 1 − tanh² round to exactly 0. Does your formula cut it off or lose it earlier?' };

/** What the function gives with its default parameter: a student who drops the argument gets this. */
const withDefault: Partial<Record<ActivationFnName, (x: number) => number>> = {
  leakyRelu: ACT.leakyRelu.f,
  leakyReluGrad: ACT.leakyRelu.df,
  elu: ACT.elu.f,
  eluGrad: ACT.elu.df,
};

const ignoredParam = (fn: ActivationFnName, name: string) => (x: number, got: number, _want: number, param: number | null): Diagnosis | undefined => {
  const dflt = withDefault[fn]?.(x);
  return param !== null && dflt !== undefined && Math.abs(got - dflt) <= 1e-12 + 1e-9 * Math.abs(dflt)
    ? { id: name === 'α' ? 'ignored-alpha' : 'ignored-slope', hint: `With ${name} = ${param} your answer is the one for the default ${name}: is the second argument used, with the default only when it is omitted?` }
    : undefined;
};

export default defineSuite('01-activations', (test) => {
  test('activations.sigmoid.grid', async (ctx) => {
    await checkGrid(ctx, 'sigmoid');
  });

  test('activations.sigmoidGrad.grid', async (ctx) => {
    await checkGrid(ctx, 'sigmoidGrad', (x, got) => {
      const s = 1 / (1 + Math.exp(-x));
      return Math.abs(got - x * (1 - x)) < 1e-12 && Math.abs(x) > 1e-6
        ? { id: 'derivative-of-output', hint: 'σ′(x) = σ(x)(1 − σ(x)): it is σ of x that goes into s(1 − s), not x itself.' }
        : Math.abs(got - s) < 1e-12 ? { id: 'returned-value', hint: 'This is σ(x) itself, not its derivative.' } : undefined;
    });
    const got = await ctx.callMany<number>('sigmoidGrad', SWEEP.map((x) => [x]));
    SWEEP.forEach((x, i) => {
      if (!(got[i] <= 0.25)) fail(`sigmoidGrad(${fmt(x)}) = ${fmt(got[i])}, but σ′ never exceeds 0.25 (its maximum, at x = 0)`);
    });
  });

  test('activations.tanh.grid', async (ctx) => {
    await checkGrid(ctx, 'tanh');
  });

  test('activations.tanhGrad.grid', async (ctx) => {
    await checkGrid(ctx, 'tanhGrad', (x, got, want) =>
      Math.abs(got - (1 - x * x)) < 1e-9 && Math.abs(x) > 1e-6
        ? { id: 'derivative-of-output', hint: 'tanh′(x) = 1 − tanh²(x): square tanh(x), not x.' }
        : Math.abs(got - (1 - Math.tanh(x))) <= 1e-12 + 1e-9 * Math.abs(1 - Math.tanh(x))
          ? { id: 'tanh-grad-missing-square', hint: 'tanh′(x) = 1 − tanh²(x): tanh(x) is squared. tanh′ is even (tanh′(−x) = tanh′(x)), and 1 − tanh(x) is not.' }
          // only where tanh′ is tiny: a 0 at x = −1.5 (tanh′ ≈ 0.18) is no cut-off in the saturated tails
          : got === 0 && want > 1e-12 && want < 1e-3 ? SATURATED_TO_ZERO : undefined);
    const [g10] = await ctx.callMany<number>('tanhGrad', [[10]]);
    // exact sech²(10) = 8.24461446e-9; 1 − tanh² rounds to 8.24461455e-9: both are right
    if (!(g10 > 8.2446e-9 * (1 - 1e-4) && g10 < 8.2447e-9)) {
      fail(`tanhGrad(10) should be ≈ 8.2446e-9 (small but not zero), got ${fmt(g10)}`, g10 === 0 ? SATURATED_TO_ZERO : undefined);
    }
  });

  test('activations.relu.grid', async (ctx) => {
    await checkGrid(ctx, 'relu');
  });

  test('activations.reluGrad.grid', async (ctx) => {
    await checkGrid(ctx, 'reluGrad', (x, got) => (x === 0 && got === 1
      ? { id: 'relu-grad-at-zero', hint: 'The course convention is ReLU′(0) = 0: 1 only for x > 0 (compare strictly).' } : undefined));
    const got = await ctx.callMany<number>('reluGrad', SWEEP.map((x) => [x]));
    SWEEP.forEach((x, i) => {
      const want = x > 0 ? 1 : 0;
      if (!Object.is(got[i] + 0, want)) fail(`reluGrad(${fmt(x)}) should be exactly ${want}, got ${fmt(got[i])}`,
        x === 0 ? { id: 'relu-grad-at-zero', hint: 'The course convention is ReLU′(0) = 0: 1 only for x > 0 (compare strictly).' } : undefined);
    });
  });

  test('activations.leakyRelu.grid', async (ctx) => {
    await checkGrid(ctx, 'leakyRelu', ignoredParam('leakyRelu', 'slope'));
  });

  test('activations.leakyReluGrad.grid', async (ctx) => {
    await checkGrid(ctx, 'leakyReluGrad', ignoredParam('leakyReluGrad', 'slope'));
  });

  test('activations.elu.grid', async (ctx) => {
    await checkGrid(ctx, 'elu', ignoredParam('elu', 'α'));
  });

  test('activations.eluGrad.grid', async (ctx) => {
    await checkGrid(ctx, 'eluGrad', ignoredParam('eluGrad', 'α'));
  });
});
