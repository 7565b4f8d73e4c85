/**
 * The plain linear algebra of the course, so that exercises are about gradients rather than loops.
 * Every function returns a new matrix and never mutates its arguments. Shapes are written
 * `[rows x cols]`; a mismatch throws a ShapeError that names the function and both shapes.
 */
import { ShapeError } from './errors';
import type { Matrix, Vector } from './types';

/** `[rows, cols]` of a matrix; throws if the rows are ragged or it is not an array of arrays. */
export function shape(m: Matrix): [number, number] {
  if (!Array.isArray(m)) throw new ShapeError(`shape: expected a matrix (number[][]), got ${typeof m}`);
  const rows = m.length;
  if (rows === 0) return [0, 0];
  const first = m[0];
  if (!Array.isArray(first)) throw new ShapeError('shape: expected a matrix (number[][]), row 0 is not an array');
  const cols = first.length;
  for (let i = 1; i < rows; i++) {
    const row = m[i];
    if (!Array.isArray(row) || row.length !== cols) {
      throw new ShapeError(`shape: ragged matrix, row 0 has ${cols} entries but row ${i} has ${Array.isArray(row) ? row.length : typeof row}`);
    }
  }
  return [rows, cols];
}

/** `"[2x3]"`, for error messages. */
export function shapeString(m: Matrix): string {
  const [r, c] = shape(m);
  return `[${r}x${c}]`;
}

/** Throws unless `m` is `rows × cols`; `what` names the argument in the message. */
export function assertShape(m: Matrix, rows: number, cols: number, what = 'matrix'): void {
  const [r, c] = shape(m);
  if (r !== rows || c !== cols) throw new ShapeError(`${what}: expected [${rows}x${cols}], got [${r}x${c}]`);
}

/** A `rows × cols` matrix of zeros. */
export function zeros(rows: number, cols: number): Matrix {
  const m: Matrix = new Array(rows);
  for (let i = 0; i < rows; i++) m[i] = new Array<number>(cols).fill(0);
  return m;
}

/** A vector of `n` zeros. */
export function zerosVector(n: number): Vector {
  return new Array<number>(n).fill(0);
}

/** A deep copy. */
export function clone(m: Matrix): Matrix {
  return m.map((row) => row.slice());
}

/** Matrix product `a · b`: `[n x k] · [k x m] → [n x m]`. */
export function matmul(a: Matrix, b: Matrix): Matrix {
  const [n, k] = shape(a);
  const [k2, m] = shape(b);
  if (k !== k2) throw new ShapeError(`matmul: [${n}x${k}] · [${k2}x${m}]: inner sizes differ`);
  const out = zeros(n, m);
  // i-p-j order walks b and out row by row, which keeps the inner loop on contiguous arrays.
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    const oi = out[i];
    for (let p = 0; p < k; p++) {
      const aip = ai[p];
      if (aip === 0) continue;
      const bp = b[p];
      for (let j = 0; j < m; j++) oi[j] += aip * bp[j];
    }
  }
  return out;
}

/** Transpose: `[n x m] → [m x n]`. */
export function transpose(a: Matrix): Matrix {
  const [n, m] = shape(a);
  const out = zeros(m, n);
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    for (let j = 0; j < m; j++) out[j][i] = ai[j];
  }
  return out;
}

function zipWith(name: string, a: Matrix, b: Matrix, f: (x: number, y: number) => number): Matrix {
  const [n, m] = shape(a);
  const [n2, m2] = shape(b);
  if (n !== n2 || m !== m2) throw new ShapeError(`${name}: [${n}x${m}] and [${n2}x${m2}]: shapes differ`);
  const out: Matrix = new Array(n);
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    const bi = b[i];
    const row = new Array<number>(m);
    for (let j = 0; j < m; j++) row[j] = f(ai[j], bi[j]);
    out[i] = row;
  }
  return out;
}

/** Element-wise `a + b` (same shapes). */
export function add(a: Matrix, b: Matrix): Matrix {
  return zipWith('add', a, b, (x, y) => x + y);
}

/** Element-wise `a − b` (same shapes). */
export function sub(a: Matrix, b: Matrix): Matrix {
  return zipWith('sub', a, b, (x, y) => x - y);
}

/** Element-wise (Hadamard) product `a ⊙ b` (same shapes). */
export function mul(a: Matrix, b: Matrix): Matrix {
  return zipWith('mul', a, b, (x, y) => x * y);
}

/** `s · a` for a number `s`. */
export function scale(a: Matrix, s: number): Matrix {
  return map(a, (x) => x * s);
}

/** Applies `f` to every entry: `f(a[i][j], i, j)`. */
export function map(a: Matrix, f: (x: number, i: number, j: number) => number): Matrix {
  const [n, m] = shape(a);
  const out: Matrix = new Array(n);
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    const row = new Array<number>(m);
    for (let j = 0; j < m; j++) row[j] = f(ai[j], i, j);
    out[i] = row;
  }
  return out;
}

/** Row-vector broadcast: adds `v` to every row of `a` (`[n x m] + [m]`), as in z = x·W + b. */
export function addRowVector(a: Matrix, v: Vector): Matrix {
  const [n, m] = shape(a);
  if (!Array.isArray(v) || v.length !== m) {
    throw new ShapeError(`addRowVector: [${n}x${m}] + vector of ${Array.isArray(v) ? v.length : typeof v}: the vector needs ${m} entries`);
  }
  return map(a, (x, _i, j) => x + v[j]);
}

/** Row-vector broadcast of a product: multiplies every row of `a` by `v` element-wise (`[n x m] ⊙ [m]`). */
export function mulRowVector(a: Matrix, v: Vector): Matrix {
  const [n, m] = shape(a);
  if (!Array.isArray(v) || v.length !== m) {
    throw new ShapeError(`mulRowVector: [${n}x${m}] ⊙ vector of ${Array.isArray(v) ? v.length : typeof v}: the vector needs ${m} entries`);
  }
  return map(a, (x, _i, j) => x * v[j]);
}

/** Sum over rows, one entry per column: `[n x m] → [m]` (the gradient of a broadcast bias). */
export function colSums(a: Matrix): Vector {
  const [n, m] = shape(a);
  const out = zerosVector(m);
  for (let i = 0; i < n; i++) {
    const ai = a[i];
    for (let j = 0; j < m; j++) out[j] += ai[j];
  }
  return out;
}

/** Mean over rows, one entry per column: `[n x m] → [m]`. */
export function colMeans(a: Matrix): Vector {
  const [n] = shape(a);
  if (n === 0) throw new ShapeError('colMeans: the matrix has no rows');
  return colSums(a).map((s) => s / n);
}

/** Sum of all entries. */
export function sum(a: Matrix): number {
  let s = 0;
  for (const row of a) for (const x of row) s += x;
  return s;
}

/** Frobenius norm √(Σᵢⱼ aᵢⱼ²). */
export function frobeniusNorm(a: Matrix): number {
  shape(a);
  let s = 0;
  for (const row of a) for (const x of row) s += x * x;
  return Math.sqrt(s);
}

/** Euclidean norm of a vector. */
export function vectorNorm(v: Vector): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

/** A one-row matrix `[1 x n]` from a vector. */
export function rowMatrix(v: Vector): Matrix {
  return [v.slice()];
}
