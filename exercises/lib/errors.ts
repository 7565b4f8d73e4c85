/**
 * Thrown by every stub until you write the function. The grader reports a test whose function
 * throws this as `not-implemented` (not started) rather than `failed` (started, but wrong).
 */
export class NotImplementedError extends Error {
  readonly functionName: string;
  constructor(functionName: string, readme = 'this exercise\'s README.md') {
    super(`${functionName} is not implemented yet: read ${readme}, then replace the throw with your code.`);
    this.name = 'NotImplementedError';
    this.functionName = functionName;
  }
}

/** Thrown by the tensor helpers when shapes do not fit, e.g. `matmul: [2x3] · [4x5]: inner sizes differ`. */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}
