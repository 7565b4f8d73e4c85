import { describe, expect, it } from 'vitest';
import { createRng } from '../lib/rng';
import { elu, eluGrad, leakyRelu, leakyReluGrad, relu, reluGrad, sigmoid, sigmoidGrad, tanh, tanhGrad } from './activations';

// Expected values come from closed forms that differ from the obvious implementation
// (σ(x) = ½(1 + tanh(x/2)), σ′(x) = ¼·sech²(x/2), tanh′(x) = sech²(x)) or from central finite
// differences of your own function. Tolerances are the contract's: |got − want| ≤ atol + rtol·|want|.

const RTOL = 1e-9;
const ATOL = 1e-12;

/** The grid the grader uses, plus a few ordinary points. */
const GRID = [0, 1e-8, -1e-8, 0.5, -0.5, 1.5, -1.5, 3, -3, 10, -10, 50, -50, 1000, -1000];

function expectClose(got: number, want: number, what: string, rtol = RTOL, atol = ATOL): void {
  expect(Number.isFinite(got), `${what}: got ${got}, a finite number was expected`).toBe(true);
  expect(
    Math.abs(got - want),
    `${what}: expected ${want}, got ${got} (|got − want| ≤ ${atol} + ${rtol}·|want|)`,
  ).toBeLessThanOrEqual(atol + rtol * Math.abs(want));
}

/** Central difference (f(x + h) − f(x − h)) / 2h. */
function centralDiff(f: (x: number) => number, x: number, h = 1e-5): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

const sech2 = (x: number): number => {
  const c = Math.cosh(x); // Infinity for |x| > 710, and 1 / Infinity = 0 is the right limit
  return 1 / (c * c);
};

describe('sigmoid', () => {
  it('is 0.5 at x = 0', () => {
    expectClose(sigmoid(0), 0.5, 'sigmoid(0)');
  });

  it('matches ½(1 + tanh(x/2)) on the grading grid, ±1000 included', () => {
    for (const x of GRID) expectClose(sigmoid(x), 0.5 * (1 + Math.tanh(x / 2)), `sigmoid(${x})`);
  });

  it('is symmetric: σ(−x) = 1 − σ(x)', () => {
    for (const x of [0.25, 1.5, 4, 10]) expectClose(sigmoid(-x), 1 - sigmoid(x), `sigmoid(${-x})`, 1e-9, 1e-15);
  });

  it('returns finite values in [0, 1] at ±1000 (no Infinity / Infinity)', () => {
    const hi = sigmoid(1000);
    const lo = sigmoid(-1000);
    expectClose(hi, 1, 'sigmoid(1000)');
    expectClose(lo, 0, 'sigmoid(-1000)');
    expect(lo >= 0 && hi <= 1, `sigmoid(±1000) = ${lo}, ${hi}: outside [0, 1]`).toBe(true);
  });
});

describe('sigmoidGrad', () => {
  it('is 0.25 at x = 0 and never larger', () => {
    expectClose(sigmoidGrad(0), 0.25, 'sigmoidGrad(0)');
    for (let x = -20; x <= 20; x += 0.0625) {
      expect(sigmoidGrad(x), `sigmoidGrad(${x})`).toBeLessThanOrEqual(0.25 + ATOL);
    }
  });

  it('matches ¼·sech²(x/2) on the grading grid, ±1000 included', () => {
    for (const x of GRID) expectClose(sigmoidGrad(x), 0.25 * sech2(x / 2), `sigmoidGrad(${x})`);
  });

  it('is the derivative of your sigmoid (central finite differences)', () => {
    for (const x of [-4, -1.5, -0.3, 0.7, 2, 5]) {
      expectClose(sigmoidGrad(x), centralDiff(sigmoid, x), `sigmoidGrad(${x}) vs finite difference`, 1e-7, 1e-10);
    }
  });

  it('makes a chain of 10 sigmoid layers shrink a gradient by at least 0.25¹⁰ ≈ 9.54e-7', () => {
    const rng = createRng(2024);
    let product = 1;
    for (let layer = 0; layer < 10; layer++) product *= sigmoidGrad(6 * rng.uniform() - 3);
    const bound = Math.pow(0.25, 10);
    expectClose(Math.pow(sigmoidGrad(0), 10), bound, 'sigmoidGrad(0)¹⁰');
    expect(product, 'a product of 10 sigmoid derivatives').toBeLessThanOrEqual(bound * (1 + RTOL));
  });
});

describe('tanh', () => {
  it('matches expm1(2x) / (expm1(2x) + 2) for |x| ≤ 10', () => {
    for (const x of GRID.filter((v) => Math.abs(v) <= 10)) {
      const e = Math.expm1(2 * x);
      expectClose(tanh(x), e / (e + 2), `tanh(${x})`);
    }
  });

  it('is odd: tanh(−x) = −tanh(x)', () => {
    for (const x of [1e-8, 0.5, 1.5, 7]) expectClose(tanh(-x), -tanh(x), `tanh(${-x})`);
  });

  it('returns ±1 at ±50 and ±1000 (no Infinity / Infinity)', () => {
    for (const x of [50, 1000]) {
      expectClose(tanh(x), 1, `tanh(${x})`);
      expectClose(tanh(-x), -1, `tanh(${-x})`);
    }
  });
});

describe('tanhGrad', () => {
  it('is 1 at x = 0', () => {
    expectClose(tanhGrad(0), 1, 'tanhGrad(0)');
  });

  it('matches sech²(x) on the grading grid (1 − tanh² and sech² are both accepted)', () => {
    for (const x of GRID) expectClose(tanhGrad(x), sech2(x), `tanhGrad(${x})`);
  });

  it('is small but not zero at x = 10: ≈ 8.2446e-9 (saturation, not death)', () => {
    const want = 4 / (Math.exp(10) + Math.exp(-10)) ** 2; // sech²(10) = 8.24461446e-9
    const got = tanhGrad(10);
    expect(got, 'tanhGrad(10) must be strictly positive').toBeGreaterThan(0);
    expectClose(got, want, 'tanhGrad(10)', 1e-6, 0);
    expectClose(tanhGrad(-10), want, 'tanhGrad(-10)', 1e-6, 0);
  });

  it('is the derivative of your tanh (central finite differences)', () => {
    for (const x of [-3, -0.8, 0.1, 1.5, 2.5]) {
      expectClose(tanhGrad(x), centralDiff(tanh, x), `tanhGrad(${x}) vs finite difference`, 1e-7, 1e-10);
    }
  });
});

describe('relu', () => {
  it('is max(0, x) on the grading grid', () => {
    for (const x of GRID) expectClose(relu(x), Math.max(0, x), `relu(${x})`, 0, 0);
  });

  it('keeps tiny positive inputs and zeroes tiny negative ones', () => {
    expectClose(relu(1e-8), 1e-8, 'relu(1e-8)', 0, 0);
    expectClose(relu(-1e-8), 0, 'relu(-1e-8)', 0, 0);
  });
});

describe('reluGrad', () => {
  it('is exactly 0 at x = 0 (the convention ReLU′(0) = 0)', () => {
    expectClose(reluGrad(0), 0, 'reluGrad(0)', 0, 0);
  });

  it('is exactly 0 for every x ≤ 0 and exactly 1 for every x > 0', () => {
    for (const x of GRID) expectClose(reluGrad(x), x > 0 ? 1 : 0, `reluGrad(${x})`, 0, 0);
  });

  it('agrees with a finite difference of your relu away from the kink', () => {
    for (const x of [-2, -0.5, 0.5, 3]) expectClose(reluGrad(x), centralDiff(relu, x), `reluGrad(${x})`, 1e-9, 1e-9);
  });
});

describe('leakyRelu', () => {
  it('uses slope 0.01 by default: leakyRelu(−3) = −0.03, leakyRelu(2) = 2', () => {
    expectClose(leakyRelu(-3), -0.03, 'leakyRelu(-3)');
    expectClose(leakyRelu(2), 2, 'leakyRelu(2)');
    expectClose(leakyRelu(0), 0, 'leakyRelu(0)');
  });

  it('uses the slope it is given: leakyRelu(−3, 0.2) = −0.6', () => {
    expectClose(leakyRelu(-3, 0.2), -0.6, 'leakyRelu(-3, 0.2)');
    expectClose(leakyRelu(3, 0.2), 3, 'leakyRelu(3, 0.2)');
  });

  it('is finite at ±1000', () => {
    expectClose(leakyRelu(1000), 1000, 'leakyRelu(1000)');
    expectClose(leakyRelu(-1000), -10, 'leakyRelu(-1000)');
  });
});

describe('leakyReluGrad', () => {
  it('is 1 for x > 0 and the default slope 0.01 for x ≤ 0, x = 0 included', () => {
    for (const x of GRID) expectClose(leakyReluGrad(x), x > 0 ? 1 : 0.01, `leakyReluGrad(${x})`, 0, 0);
  });

  it('returns the slope it is given for x ≤ 0', () => {
    expectClose(leakyReluGrad(-5, 0.2), 0.2, 'leakyReluGrad(-5, 0.2)', 0, 0);
    expectClose(leakyReluGrad(0, 0.2), 0.2, 'leakyReluGrad(0, 0.2)', 0, 0);
    expectClose(leakyReluGrad(5, 0.2), 1, 'leakyReluGrad(5, 0.2)', 0, 0);
  });

  it('is the derivative of your leakyRelu away from the kink', () => {
    for (const x of [-2, -0.5, 0.5, 3]) {
      expectClose(leakyReluGrad(x, 0.3), centralDiff((v) => leakyRelu(v, 0.3), x), `leakyReluGrad(${x}, 0.3)`, 1e-9, 1e-9);
    }
  });
});

describe('elu', () => {
  it('is x for x > 0 and eˣ − 1 for x ≤ 0 with the default α = 1', () => {
    expectClose(elu(2), 2, 'elu(2)');
    expectClose(elu(0), 0, 'elu(0)');
    expectClose(elu(-1), Math.exp(-1) - 1, 'elu(-1)');
    expectClose(elu(-1e-8), -1e-8 + 0.5e-16, 'elu(-1e-8)'); // eˣ − 1 ≈ x + x²/2 near 0
  });

  it('scales the negative side by the α it is given: elu(−1, 1.5) = 1.5·(e⁻¹ − 1)', () => {
    expectClose(elu(-1, 1.5), 1.5 * (Math.exp(-1) - 1), 'elu(-1, 1.5)');
    expectClose(elu(2, 1.5), 2, 'elu(2, 1.5)');
  });

  it('tends to −α and stays finite at ±1000', () => {
    expectClose(elu(-1000), -1, 'elu(-1000)');
    expectClose(elu(-1000, 1.5), -1.5, 'elu(-1000, 1.5)');
    expectClose(elu(1000), 1000, 'elu(1000)');
  });
});

describe('eluGrad', () => {
  it('is 1 for x > 0 and α·eˣ for x ≤ 0, so α at x = 0', () => {
    expectClose(eluGrad(3), 1, 'eluGrad(3)');
    expectClose(eluGrad(0), 1, 'eluGrad(0)');
    expectClose(eluGrad(0, 1.5), 1.5, 'eluGrad(0, 1.5)');
    expectClose(eluGrad(-1, 1.5), 1.5 * Math.exp(-1), 'eluGrad(-1, 1.5)');
  });

  it('is the derivative of your elu (central finite differences, α = 1.5)', () => {
    for (const x of [-3, -1, -0.2, 0.4, 2]) {
      expectClose(eluGrad(x, 1.5), centralDiff((v) => elu(v, 1.5), x), `eluGrad(${x}, 1.5)`, 1e-7, 1e-10);
    }
  });

  it('is finite at ±1000', () => {
    expectClose(eluGrad(-1000), 0, 'eluGrad(-1000)');
    expectClose(eluGrad(1000), 1, 'eluGrad(1000)');
  });
});
