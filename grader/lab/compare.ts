/**
 * Where the student's curve departs from the reference one (the same experiment run on the
 * course's solutions), in words: which curve, at which point, by how much.
 */
import type { Series } from './experiments.js';

/** Points closer than this (relative) are the same curve: float noise, 1 − tanh² against sech². */
export const DEPARTS_RTOL = 1e-6;

export interface Departure {
  plot: string;
  name: string;
  facet?: string;
  /** One sentence for the terminal and the page. */
  words: string;
}

const key = (s: Series) => `${s.plot}\u0000${s.facet ?? ''}\u0000${s.name}`;
const shown = (v: number, digits: number) => (!Number.isFinite(v) ? String(v) : v !== 0 && Math.abs(v) < 1e-2 ? v.toExponential(digits - 1) : v.toPrecision(digits));

/** Both values with 3 significant digits, or as many more (up to 12) as it takes to tell them apart. */
function showPair(a: number, b: number): [string, string] {
  let digits = 3;
  while (digits < 12 && shown(a, digits) === shown(b, digits)) digits++;
  return [shown(a, digits), shown(b, digits)];
}

function gap(a: number, b: number): number {
  if (Number.isNaN(a) !== Number.isNaN(b)) return Infinity;
  if (a === b || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  return Math.abs(a - b) / Math.max(1e-300, Math.abs(a) + Math.abs(b));
}

function factor(mine: number, ref: number): string {
  if (!Number.isFinite(mine) || !Number.isFinite(ref) || mine === 0 || ref === 0 || Math.sign(mine) !== Math.sign(ref)) return '';
  const k = mine / ref;
  // within 10% a factor reads "1.0×": say the difference in percent instead
  if (k > 1 / 1.1 && k < 1.1) return ` (${Number((Math.abs(k - 1) * 100).toPrecision(2))}% ${k >= 1 ? 'larger' : 'smaller'})`;
  return k >= 1 ? ` (${k.toPrecision(2)}× larger)` : ` (${(1 / k).toPrecision(2)}× smaller)`;
}

/**
 * The curves of `mine` that depart from the reference's curve of the same name, each said at its
 * worst point: `quantity(plot)` names what differs ("the loss"), `at(plot, x)` where ("step 2").
 */
export function departures(mine: Series[], reference: Series[], at: (plot: string, x: number) => string, quantity: (plot: string) => string): Departure[] {
  const refs = new Map(reference.map((s) => [key(s), s]));
  const out: Departure[] = [];
  for (const s of mine) {
    const ref = refs.get(key(s));
    if (!ref) continue;
    let worst = -1;
    let worstGap = DEPARTS_RTOL;
    s.points.forEach((p, i) => {
      const q = ref.points[i];
      if (!q) return;
      const g = gap(p.y, q.y);
      if (g > worstGap) { worstGap = g; worst = i; }
    });
    if (worst < 0) continue;
    const p = s.points[worst];
    const q = ref.points[worst];
    const [yours, theirs] = showPair(p.y, q.y);
    out.push({
      plot: s.plot,
      name: s.name,
      facet: s.facet,
      // the quantity and the point: one network has several curves (‖dW‖ by layer, loss, ‖dW₁‖ over steps)
      words: `your ${s.name}${s.facet ? ` (${s.facet})` : ''} curve departs from the reference in ${quantity(s.plot)} at ${at(s.plot, p.x)}: yours is ${yours}, the reference's ${theirs}${factor(p.y, q.y)}`,
    });
  }
  return out;
}
