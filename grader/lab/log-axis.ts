/**
 * Where a log-scale plot's y axis stops. One run that explodes (a loss of 1e+160 two steps in, a
 * last loss of 1e+236 at the largest learning rate) would otherwise stretch the axis over a hundred
 * decades and flatten every other curve onto its bottom line. So the axis ends a fixed number of
 * decades above where the curves start, and what runs off the top is marked and said, not drawn.
 * The page (page.ts) and the terminal's sparklines (terminal.ts) use the same top.
 */
import type { Series } from './experiments.js';

/** Plots drawn on a log scale (their y spans decades: gradient norms, losses). */
export const LOG_PLOTS = new Set(['gradient-flow', 'dead-neuron-grad', 'training-loss', 'training-first-layer', 'lr-sweep']);

/** Decades of room above the decade of the largest first value: a curve may grow 100× and stay on the axis. */
export const HEADROOM_DECADES = 2;

/**
 * The top of the y axis: 10^(⌈log₁₀ m⌉ + HEADROOM_DECADES), where m is the largest first finite
 * positive value of the curves (the loss at step 0, ‖dW‖ of layer 1, the loss at the smallest
 * learning rate). Null where every value fits under it, and the axis needs no top of its own.
 */
export function axisTop(series: Series[]): number | null {
  const firsts = series.map((s) => s.points.find((p) => Number.isFinite(p.y) && p.y > 0)?.y).filter((y): y is number => y !== undefined);
  if (firsts.length === 0) return null;
  const top = 10 ** (Math.ceil(Math.log10(Math.max(...firsts))) + HEADROOM_DECADES);
  return series.some((s) => s.points.some((p) => isAbove(p.y, top))) ? top : null;
}

/** A finite value above the top (a non-finite one is not drawn at all: the titles say so). */
export const isAbove = (y: number, top: number): boolean => Number.isFinite(y) && y > top;

/**
 * The curves with points above `top`, one phrase each: where they leave the axis and how high
 * they go. `at(x)` says where a point is ("step 2", "learning rate 0.1").
 */
export function offTheTop(series: Series[], top: number, at: (x: number) => string): string[] {
  const out: string[] = [];
  for (const s of series) {
    const above = s.points.filter((p) => isAbove(p.y, top));
    if (above.length === 0) continue;
    const highest = Math.max(...above.map((p) => p.y));
    const label = s.facet ? `${s.name} (${s.facet})` : s.name;
    const where = above.length === 1 ? `at ${at(above[0].x)}` : `at ${above.length} points from ${at(above[0].x)} on`;
    out.push(`${label} ${where}, up to ${highest.toExponential(1)}`);
  }
  return out;
}
