/**
 * `gradlab lab --html DIR`: one self-contained HTML page (inline SVG and CSS, no script, nothing
 * fetched) with every experiment's plots, drawn at build time by grader/plot/render.ts. Where a
 * student's curve departs from the reference, the reference is drawn dashed beside it and the
 * difference is said in words under the plot.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderSvg, type VegaLiteSpec } from '../plot/render.js';
import type { Series } from './experiments.js';
import { axisTop, HEADROOM_DECADES, isAbove, offTheTop } from './log-axis.js';
import { at, type Outcome } from './run.js';
import { Blocked } from './student.js';

interface PlotStyle { title: string; x: string; y: string; logY?: boolean; legend: string; facetX?: 'shared' | 'independent'; integerX?: boolean }

export const PLOTS: Record<string, PlotStyle> = {
  'gradient-flow': { title: 'Gradient norm ‖dW‖ per layer (log scale)', x: 'layer (input side first)', y: '‖dW‖', logY: true, legend: 'network', integerX: true },
  'histogram-tanh': { title: 'tanh activations per layer', x: 'activation a = tanh(z)', y: 'density', legend: 'layer', facetX: 'shared' },
  'histogram-relu': { title: 'ReLU activations per layer (the positive part)', x: 'activation a = ReLU(z) > 0', y: 'density', legend: 'layer', facetX: 'independent' },
  saturation: { title: 'Saturated share per layer (your saturatedFraction, tanh′ < 1e-3)', x: 'layer', y: 'saturated share', legend: 'network', integerX: true },
  'dead-vs-bias': { title: 'Dead ReLU units as the bias is pushed negative (your deadUnitFraction)', x: 'bias of every unit', y: 'dead share', legend: 'units', integerX: true },
  'dead-neuron-z': { title: 'The neuron\'s pre-activation z over training steps', x: 'step', y: 'z', legend: 'activation', integerX: true },
  // log scale: a gradient of exactly 0 (the dead ReLU) cannot be drawn, so its line stops there
  'dead-neuron-grad': { title: 'Its gradient ‖∂loss/∂(w, b)‖ over training steps (log; exactly 0 is not drawn)', x: 'step', y: '‖gradient‖', logY: true, legend: 'activation', integerX: true },
  'training-loss': { title: 'Training loss over steps (log; a run that explodes stops where it turns non-finite)', x: 'step', y: 'MSE loss', logY: true, legend: 'network', integerX: true },
  'training-first-layer': { title: 'First layer\'s gradient ‖dW₁‖ over steps (log)', x: 'step', y: '‖dW₁‖', logY: true, legend: 'network', integerX: true },
  'training-dead': { title: 'Dead units per hidden layer of ReLU / He, before and after training', x: 'hidden layer', y: 'dead share', legend: 'when', integerX: true },
  'lr-sweep': { title: 'Last loss after training, by learning rate (log; a run that turns non-finite is not drawn)', x: 'log₁₀ learning rate', y: 'last loss', logY: true, legend: 'network' },
};

type Row = { x: number; y: number; series: string; facet: string; source: 'yours' | 'reference'; off: boolean };

/** How the two sources are drawn, and shown in the legend: the student's solid, the reference's dashed. */
const DASH = { yours: [1, 0], reference: [6, 4] };

/**
 * The Vega-Lite spec of one plot: the student's curves, plus the reference's where they depart.
 * On a log plot with a `top` (log-axis.ts) the y axis ends there: a line that runs above it is cut
 * at the plot's edge, and each point above it is drawn on the edge as a ▲ in the curve's colour.
 */
export function plotSpec(plot: string, mine: Series[], reference: Series[], top: number | null = null): VegaLiteSpec {
  const style = PLOTS[plot];
  const rows: Row[] = [];
  const add = (ss: Series[], source: Row['source']) => {
    for (const s of ss) for (const p of s.points) {
      // a log scale cannot show 0 or a non-finite value: leave a gap rather than a wrong point
      if (!Number.isFinite(p.y) || (style.logY && p.y <= 0)) continue;
      rows.push({ x: p.x, y: p.y, series: s.name, facet: s.facet ?? '', source, off: top !== null && isAbove(p.y, top) });
    }
  };
  add(mine, 'yours');
  add(reference, 'reference');
  const faceted = mine.some((s) => s.facet);
  // with a top of its own the domain is not "nice": ticks and grid at the powers of ten only, or a grid line at every 2…9
  const decades = (lowest: number, highest: number) => Array.from({ length: Math.round(Math.log10(highest / lowest)) + 1 }, (_, k) => Number(`1e${Math.round(Math.log10(lowest)) + k}`));
  const lowest = Math.min(...rows.map((r) => r.y));
  // without one, vega labels every other decade once a curve spans many (the neuron story's
  // gradient falls from 1 to 1e-7): a label at each power of ten, all the same
  const highest = Math.max(...rows.map((r) => r.y));
  const yScale = !style.logY || rows.length === 0 ? {} : top === null
    ? { scale: { type: 'log' }, axis: { values: decades(10 ** Math.floor(Math.log10(lowest)), 10 ** Math.ceil(Math.log10(highest))) } }
    : { scale: { type: 'log', domainMax: top }, axis: { values: decades(10 ** Math.floor(Math.log10(lowest)), top) } };
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: style.x, ...(style.integerX ? { axis: { tickMinStep: 1, format: 'd' } } : {}) },
    y: { field: 'y', type: 'quantitative', title: style.y, ...yScale },
    color: { field: 'series', type: 'nominal', title: style.legend, sort: null, legend: { labelLimit: 240 } },
    ...(reference.length > 0 ? {
      strokeDash: {
        field: 'source', type: 'nominal', title: 'curve',
        scale: { domain: ['yours', 'reference'], range: [DASH.yours, DASH.reference] },
        // the sample is a short line in a neutral colour: solid for yours, dashed for the reference
        // (vega-lite leaves a line symbol's stroke unset, so without the encode the samples are invisible)
        legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 400, encode: { symbols: { update: { stroke: { value: '#333' } } } } },
      },
    } : {}),
  };
  const line = { mark: { type: 'line', point: !faceted, strokeWidth: 2, clip: true }, encoding };
  if (faceted) {
    return {
      title: style.title,
      data: { values: rows },
      facet: { column: { field: 'facet', type: 'nominal', title: null, sort: [...new Set(mine.map((s) => s.facet))] } },
      spec: { width: 220, height: 160, ...line },
      resolve: { scale: { x: style.facetX === 'independent' ? 'independent' : 'shared', y: 'independent' } },
    } as VegaLiteSpec;
  }
  if (top === null) return { title: style.title, width: 420, height: 240, data: { values: rows }, ...line } as VegaLiteSpec;
  const offTop = {
    transform: [{ filter: 'datum.off' }, { calculate: String(top), as: 'edge' }],
    mark: { type: 'point', shape: 'triangle-up', filled: true, size: 90, clip: false },
    encoding: { x: encoding.x, y: { ...encoding.y, field: 'edge' }, color: encoding.color },
  };
  return { title: style.title, width: 420, height: 240, data: { values: rows }, layer: [line, offTop] } as VegaLiteSpec;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function section(o: Outcome, index: number): Promise<string> {
  const e = o.experiment;
  const head = `<h2>${index}. ${escape(e.title)}</h2><p class="uses">uses ${e.uses.map((u) => `<code>${escape(u)}</code>`).join(', ')}</p>`;
  if (o.mine instanceof Blocked) return `<section class="blocked">${head}<p class="todo">Not drawn: ${escape(o.mine.message)}.</p></section>`;
  const mine = o.mine;
  const plots = [...new Set(mine.series.map((s) => s.plot))];
  const figures: string[] = [];
  for (const plot of plots) {
    const departing = o.departures.filter((d) => d.plot === plot);
    const refSeries = (o.reference?.series ?? []).filter((s) => s.plot === plot && departing.some((d) => d.name === s.name && (d.facet ?? '') === (s.facet ?? '')));
    const mineHere = mine.series.filter((s) => s.plot === plot);
    const top = PLOTS[plot]?.logY ? axisTop([...mineHere, ...refSeries]) : null;
    const svg = await renderSvg(plotSpec(plot, mineHere, refSeries, top));
    const off = top === null ? '' : `<p class="offscale">▲ Off the top of the axis (above ${top.toExponential(0)}, ${HEADROOM_DECADES} decades above where the curves start): ${escape(offTheTop([...mineHere, ...refSeries.map((s) => ({ ...s, name: `${s.name} (reference)` }))], top, (x) => at(plot, x)).join('; '))}.</p>`;
    const words = departing.map((d) => `<p class="differs">${escape(d.words[0].toUpperCase() + d.words.slice(1))}.</p>`).join('');
    figures.push(`<figure data-plot="${escape(plot)}"${top === null ? '' : ` data-axis-top="${top}"`}>${svg}${off}${words}</figure>`);
  }
  const same = o.reference && o.departures.length === 0 ? '<p class="same">Every curve matches the reference solution.</p>' : '';
  return `<section>${head}${figures.join('')}<p class="notice"><strong>Notice:</strong> ${escape(mine.notice)}</p>${same}</section>`;
}

const CSS = `body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
figure{margin:1em 0}svg{max-width:100%;height:auto}.uses{color:#666;margin:0}
.notice{background:#f4f8ff;padding:.6em .8em;border-left:3px solid #4c78a8}
.differs{background:#fff4e5;padding:.4em .8em;border-left:3px solid #f58518}
.offscale{color:#555;margin:.2em 0}
.todo{background:#fdecea;padding:.6em .8em;border-left:3px solid #e45756}.same{color:#2a7a2a}`;

/** The whole page as one HTML string. */
export async function labPage(outcomes: Outcome[], source: string): Promise<string> {
  const sections: string[] = [];
  for (const [i, o] of outcomes.entries()) sections.push(await section(o, i + 1));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gradlab lab</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${CSS}</style></head>
<body><h1>gradlab lab: why deep networks stop learning, drawn from your code</h1>
<p>Every number below comes from your functions in <code>${escape(source)}</code>, run in the grading sandbox on the lab's own inputs.
Where one of your curves departs from the reference solution's, the reference is drawn dashed beside it.</p>
${sections.join('\n')}
</body></html>
`;
}

/** Writes DIR/index.html and returns its path. */
export async function writeLabPage(dir: string, outcomes: Outcome[], source: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'index.html');
  writeFileSync(file, await labPage(outcomes, source));
  return file;
}
