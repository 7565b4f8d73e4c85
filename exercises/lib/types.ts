/** Shared types of the course contract (../../shared/spec/COURSE.md, "Shared types"). */

/** A plain vector of numbers. */
export type Vector = number[];

/** Row-major matrix: `m[row][col]`. A batch is `[batchSize][features]`. */
export type Matrix = number[][];

/** The activations the course uses, by name. */
export type ActivationName = 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'elu' | 'identity';

/** A fully connected layer: `W` is `[fanIn][fanOut]`, `b` has `fanOut` entries; z = x·W + b. */
export interface Dense {
  W: Matrix;
  b: Vector;
}

/** The gradients of the loss with respect to one Dense layer's parameters. */
export interface LayerGrads {
  dW: Matrix;
  db: Vector;
}

/** A source of random numbers: `uniform()` in [0, 1), `normal()` ~ N(0, 1). */
export interface Rng {
  uniform(): number;
  normal(): number;
}
