/**
 * The lab in the terminal: per experiment a per-layer table, a one-line chart (a sparkline, from
 * `sparkly`) of each curve, what to notice, and where the student's curves depart from the
 * reference.
 */
import sparkly from 'sparkly';
import type { LayerRow, Series } from './experiments.js';
import { axisTop, isAbove, LOG_PLOTS, offTheTop } from './log-axis.js';
import { at, type Outcome } from './run.js';
import { Blocked } from './student.js';

const num = (v: number | null): string => {
  if (v === null) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  return Math.abs(v) >= 1e-2 && Math.abs(v) < 1e4 ? v.toFixed(3) : v.toExponential(2);
};
const share = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

const COLUMNS: Array<[string, (r: LayerRow) => string]> = [
  ['layer', (r) => String(r.layer)],
  ['z mean', (r) => num(r.zMean)],
  ['z std', (r) => num(r.zStd)],
  ['saturated', (r) => share(r.saturated)],
  ['dead', (r) => share(r.dead)],
  ['‖dW‖', (r) => num(r.dW)],
  ['‖dx‖', (r) => num(r.dx)],
];

export function layerTable(rows: LayerRow[]): string[] {
  const cells = [COLUMNS.map(([h]) => h), ...rows.map((r) => COLUMNS.map(([, f]) => f(r)))];
  const widths = COLUMNS.map((_, j) => Math.max(...cells.map((c) => c[j].length)));
  return cells.map((c) => '  ' + c.map((v, j) => v.padStart(widths[j])).join('  '));
}

/** The most characters a sparkline has. */
const SPARK_WIDTH = 40;
/**
 * At most SPARK_WIDTH values, evenly spaced, the last included: a long run still fits one line.
 * Where a value between two samples is `notable` (off the chart's top), the sample is that value,
 * so a run that explodes for a step or two and then turns non-finite still shows it.
 */
function thin<T>(values: T[], notable: (v: T) => boolean = () => false): T[] {
  if (values.length <= SPARK_WIDTH) return values;
  const at = (i: number) => Math.round((i * (values.length - 1)) / (SPARK_WIDTH - 1));
  return Array.from({ length: SPARK_WIDTH }, (_, i) => {
    const between = values.slice(i === 0 ? 0 : at(i - 1) + 1, at(i) + 1);
    return between.find(notable) ?? values[at(i)];
  });
}

/** Marks a value above the chart's top (log-axis.ts): it ran off, and is not drawn to scale. */
export const OFF_TOP = '↑';

/**
 * What a sparkline draws of each shown point: log₁₀ of it on a log plot (1e-6 … 1 spreads over
 * the ticks), NaN (a blank) for what cannot be drawn, and whether it is off the chart's top.
 */
function shown(s: Series, top: number | null): Array<{ v: number; off: boolean }> {
  const log = LOG_PLOTS.has(s.plot);
  const above = (p: { y: number }) => log && top !== null && isAbove(p.y, top);
  return thin(s.points, above).map((p) => ({ v: !log ? p.y : p.y > 0 ? Math.log10(p.y) : NaN, off: above(p) }));
}

/** The range of a chart's curves drawn to scale (a value off the top is its own glyph, not the top tick). */
function chartRange(ss: Series[], top: number | null): { minimum: number; maximum: number } {
  const all = ss.flatMap((s) => shown(s, top)).filter((p) => !p.off && Number.isFinite(p.v)).map((p) => p.v);
  return { minimum: Math.min(...all), maximum: Math.max(...all) };
}

/**
 * One line: the curve's name, a sparkline of its values in x order, and its first and last
 * values. The curves of one chart share a scale (`range`), so a flat healthy curve stays flat;
 * on a log chart with a `top`, a value above it is OFF_TOP.
 */
export function sparkLine(s: Series, nameWidth: number, range: { minimum: number; maximum: number }, top: number | null = null): string {
  const ys = s.points.map((p) => p.y);
  const points = shown(s, top);
  // sparkly gives one character per value; an off-top value is replaced, so what it draws there does not matter
  const ticks = ys.length > 1 ? [...sparkly(points.map((p) => (p.off ? range.maximum : p.v)), range)] : [];
  const spark = ticks.map((c, i) => (points[i].off ? OFF_TOP : c)).join('');
  const label = s.facet ? `${s.name} (${s.facet})` : s.name;
  return `  ${label.padEnd(nameWidth)} ${spark}  ${num(ys[0] ?? null)} → ${num(ys[ys.length - 1] ?? null)}`;
}

const CHART_TITLE: Record<string, string> = {
  'gradient-flow': '‖dW‖ by layer, input side first (log)',
  saturation: 'saturated share by layer (your saturatedFraction)',
  'dead-vs-bias': 'dead share as the bias goes 0 → −8 (your deadUnitFraction)',
  'dead-neuron-z': 'z over steps',
  'dead-neuron-grad': '‖gradient‖ over steps (log; a blank is exactly 0)',
  'training-loss': 'loss over steps (log; a blank is not finite)',
  'training-dead': 'dead share by hidden layer, ReLU / He',
  'lr-sweep': 'last loss by learning rate, 1e-4 → 0.1 (log; a blank is not finite)',
};

export function renderOutcome(o: Outcome, index: number): string {
  const e = o.experiment;
  const lines = [`── ${index}. ${e.title} [${e.uses.join(', ')}]`];
  if (o.mine instanceof Blocked) {
    lines.push(`  Not run: ${o.mine.message}.`);
    return lines.join('\n');
  }
  for (const n of o.mine.networks) lines.push('', `  ${n.name}`, ...layerTable(n.rows));
  const charted = o.mine.series.filter((s) => CHART_TITLE[s.plot]);
  const plots = [...new Set(charted.map((s) => s.plot))];
  for (const plot of plots) {
    const ss = charted.filter((s) => s.plot === plot);
    const width = Math.max(...ss.map((s) => s.name.length));
    const top = LOG_PLOTS.has(plot) ? axisTop(ss) : null;
    const range = chartRange(ss, top);
    lines.push('', `  ${CHART_TITLE[plot]}:`, ...ss.map((s) => sparkLine(s, width, range, top)));
    if (top !== null) lines.push(`  ${OFF_TOP} above ${top.toExponential(0)}, off the chart: ${offTheTop(ss, top, (x) => at(plot, x)).join('; ')}`);
  }
  lines.push('', `  Notice: ${o.mine.notice}`);
  for (const d of o.departures) lines.push(`  Differs: ${d.words}.`);
  if (o.reference && o.departures.length === 0) lines.push('  Every curve matches the reference solution.');
  return lines.join('\n');
}

/** The whole report; `command` is how the student runs the lab (`npx gradlab lab`, or `npm run lab --` in the template). */
export function renderLab(outcomes: Outcome[], ms: number, command = 'npx gradlab lab'): string {
  const blocked = outcomes.filter((o) => o.mine instanceof Blocked);
  const tail = blocked.length > 0
    ? `${outcomes.length - blocked.length} of ${outcomes.length} experiments ran (${(ms / 1000).toFixed(1)} s). Next: ${(blocked[0].mine as Blocked).message}.`
    : `All ${outcomes.length} experiments ran on your code in ${(ms / 1000).toFixed(1)} s. Draw them: \`${command} --html lab-report\`.`;
  return [...outcomes.map((o, i) => renderOutcome(o, i + 1)), '', tail].join('\n\n').replace(/\n{3,}/g, '\n\n');
}
