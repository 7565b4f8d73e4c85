/**
 * The activation the lab applies between layers, and its derivative where the lab measures
 * saturation or a neuron's gradient: the student's own 01 (sigmoid, tanhGrad, …) called in the
 * sandbox, one call per matrix. The lab carries no activation of its own, so the template ships
 * none of 01's answers, and a wrong 01 shows in every curve that goes through it.
 */
import type { ActivationName, Matrix } from '../../exercises/lib/types.js';
import { Blocked, type StudentCode } from './student.js';

/** The exercise whose functions these are. */
export const ACTIVATIONS_SLUG = '01-activations';

const FORWARD: Record<Exclude<ActivationName, 'identity'>, string> = {
  sigmoid: 'sigmoid', tanh: 'tanh', relu: 'relu', leakyRelu: 'leakyRelu', elu: 'elu',
};

/** `fn` of 01 on every entry of z, in one call. */
async function entrywise(code: StudentCode, fn: string, z: Matrix): Promise<Matrix> {
  const values = await code.entrywise(ACTIVATIONS_SLUG, fn, z);
  // NaN and ±Infinity pass: a curve that blows up is what the student should see
  const ok = Array.isArray(values) && values.length === z.length &&
    values.every((row, i) => Array.isArray(row) && row.length === z[i].length && row.every((v) => typeof v === 'number'));
  if (!ok) throw new Blocked(`${fn} (${ACTIVATIONS_SLUG}) should return a number for every number; fix it (its public tests show how) to see this`);
  return values as Matrix;
}

/** act(z) with the student's 01; identity needs no call. */
export function activate(code: StudentCode, z: Matrix, act: ActivationName): Promise<Matrix> {
  return act === 'identity' ? Promise.resolve(z) : entrywise(code, FORWARD[act], z);
}

/** act′(z) with the student's 01 (sigmoidGrad, tanhGrad, …); identity's is 1. */
export function derivative(code: StudentCode, z: Matrix, act: ActivationName): Promise<Matrix> {
  return act === 'identity' ? Promise.resolve(z.map((row) => row.map(() => 1))) : entrywise(code, `${FORWARD[act]}Grad`, z);
}
