/**
 * The lab's page in a real browser: Debian's Chromium, driven by playwright-core, opens the page
 * built from a submission with a known mistake (so the reference is drawn too) and checks that
 * every plot rendered: an SVG with a size, axes, a legend and drawn marks; nothing fetched. Gradient
 * norms and losses are on a log axis (read from the drawn labels), one that a run which explodes
 * would stretch ends at a top of its own (grader/lab/log-axis.ts) with what runs off marked, and the
 * legend's "yours" / "reference" entries show a solid and a dashed line.
 *
 * GRADLAB_SCREENSHOT=docs/lab-page.png saves the screenshot the docs show.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inChromium, skipWithoutChromium } from './chromium';
import { writeLabPage } from '../grader/lab/page';
import { runLab } from '../grader/lab/run';
import { loadManifest } from '../grader/manifest';
import { compileOwn } from '../grader/lab/compile-own';
import { SOLUTIONS_DIR } from '../grader/paths';

let work: string;
let page: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'gradlab-lab-page-'));
  const sub = path.join(work, 'sub');
  cpSync(SOLUTIONS_DIR, sub, { recursive: true, dereference: true });
  const file = path.join(sub, '02-backprop', 'backprop.ts');
  // σ′ taken at the output a = σ(z): the two sigmoid curves depart and the reference is drawn dashed
  writeFileSync(file, readFileSync(file, 'utf8').replace('return mul(da, map(z, df));', 'return mul(da, map(z, (v) => df(activationFns(act).f(v))));'));
  page = await writeLabPage(path.join(work, 'page'), await runLab({ dir: sub, compile: compileOwn, reference: { dir: SOLUTIONS_DIR } }), 'sub');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface PlotCheck { plot: string; width: number; height: number; axes: number; legends: number; marks: number; differs: number }

/** The y axis's labels as drawn: their values and the screen y of their centres, top first. */
interface AxisLabel { value: number; y: number }

describe('the lab page in headless Chromium', () => {
  it('draws gradient norms and losses on a log axis: labels at powers of ten, equally spaced; a run that explodes is cut at the top and marked', async (ctx) => {
    skipWithoutChromium(ctx);
    await inChromium(page, async (tab) => {
      const yLabels = (plot: string): Promise<AxisLabel[]> => tab.$$eval(`figure[data-plot="${plot}"] g.role-axis[aria-label^="Y-axis"] .role-axis-label text`, (texts) => texts
        .filter((t) => (t.textContent ?? '') !== '') // vega draws the ticks between decades with empty labels
        .map((t) => ({ value: Number((t.textContent ?? '').replace(/,/g, '')), y: t.getBoundingClientRect().top + t.getBoundingClientRect().height / 2 }))
        .sort((a, b) => a.y - b.y));
      const has07 = loadManifest().exercises.some((e) => e.slug === '07-training');
      for (const plot of ['gradient-flow', 'dead-neuron-grad', ...(has07 ? ['training-loss', 'training-first-layer', 'lr-sweep'] : [])]) {
        const labels = await yLabels(plot);
        expect(labels.length, plot).toBeGreaterThanOrEqual(4);
        // a log axis: each label 10× the one below it, and every decade the same height on screen (±0.5 px)
        const decade = labels[1].y - labels[0].y;
        expect(decade, plot).toBeGreaterThan(10);
        labels.slice(1).forEach((l, i) => {
          expect(labels[i].value / l.value, `${plot}: ${labels[i].value} over ${l.value}`).toBeCloseTo(10, 9);
          expect(Math.abs(l.y - labels[i].y - decade), `${plot}: the decade below ${labels[i].value}`).toBeLessThanOrEqual(0.5);
        });
      }
      if (!has07) return;
      // the clipped axis: it ends at 1e5, 2 decades above the clipped run's first loss (631); the run
      // without clipping leaves it at steps 1 and 2 (then turns non-finite), each marked ▲ on the top edge
      const figure = tab.locator('figure[data-plot="training-loss"]');
      expect(await figure.getAttribute('data-axis-top')).toBe('100000');
      const top = (await yLabels('training-loss'))[0];
      expect(top.value).toBe(1e5);
      const marks = await figure.locator('.layer_1_marks path').evaluateAll((paths) => paths.map((p) => ({ label: p.getAttribute('aria-label') ?? '', y: p.getBoundingClientRect().top + p.getBoundingClientRect().height / 2, fill: p.getAttribute('fill') })));
      expect(marks.map((m) => m.label.replace(/; MSE loss.*/, ''))).toEqual(['step: 1', 'step: 2']);
      for (const m of marks) expect(Math.abs(m.y - top.y), m.label).toBeLessThanOrEqual(1.5);
      expect(await figure.locator('.offscale').innerText()).toBe('▲ Off the top of the axis (above 1e+5, 2 decades above where the curves start): ReLU / He × 1.5, no clipping at 2 points from step 1 on, up to 1.8e+174.');
      expect(await tab.locator('figure[data-plot="lr-sweep"] .offscale').innerText()).toContain('He × 1.5 at learning rate 0.1, up to 2.8e+236');
      expect((await yLabels('training-loss')).map((l) => l.value)).toEqual([1e5, 1e4, 1e3, 100, 10, 1, 0.1, 0.01]);
    });
  });

  it('shows a solid and a dashed line sample beside "yours" and "reference" in the legend', async (ctx) => {
    skipWithoutChromium(ctx);
    await inChromium(page, async (tab) => {
      for (const plot of ['gradient-flow', 'dead-neuron-z']) {
        const samples = await tab.$$eval(`figure[data-plot="${plot}"] g.role-legend[aria-label*="strokeDash"]`, (legends) => legends.flatMap((legend) => {
          const labels = [...legend.querySelectorAll('.role-legend-label text')].map((t) => t.textContent);
          return [...legend.querySelectorAll('.role-legend-symbol path')].map((sample, i) => {
            // as drawn: the style the browser computed (this file is typed without the DOM library)
            const style = (globalThis as unknown as { getComputedStyle(el: typeof sample): { stroke: string; strokeDasharray: string; strokeWidth: string } }).getComputedStyle(sample);
            return { label: labels[i], stroke: style.stroke, dash: style.strokeDasharray, width: sample.getBoundingClientRect().width, strokeWidth: style.strokeWidth };
          });
        }));
        expect(samples.map((x) => x.label), plot).toEqual(['yours', 'reference']);
        for (const x of samples) {
          expect(x.stroke, `${plot} ${x.label}: a drawn stroke`).toBe('rgb(51, 51, 51)');
          expect(x.strokeWidth).toBe('2px');
          expect(x.width, `${plot} ${x.label}: a line sample, not a dot`).toBeGreaterThanOrEqual(15);
        }
        expect(samples[0].dash, `${plot}: yours solid`).toBe('1px, 0px');
        expect(samples[1].dash, `${plot}: the reference dashed`).toBe('6px, 4px');
      }
    });
  });
  it('renders every plot with axes, a legend and drawn marks, fetching nothing', async (ctx) => {
    skipWithoutChromium(ctx);
    await inChromium(page, async (tab, { fetched, errors }) => {
      const plots: PlotCheck[] = await tab.$$eval('figure', (figures) => figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const drawn = [...f.querySelectorAll('.role-mark path, .role-mark line, .role-mark rect')].filter((p) => (p.getAttribute('d') ?? 'x') !== '' && p.getBoundingClientRect().width + p.getBoundingClientRect().height > 0);
        return {
          plot: f.getAttribute('data-plot') ?? '',
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          axes: f.querySelectorAll('.role-axis .role-axis-label text').length > 0 ? f.querySelectorAll('g.role-axis[aria-roledescription="axis"]').length : 0,
          legends: f.querySelectorAll('.role-legend .role-legend-label text').length,
          marks: drawn.length,
          differs: f.querySelectorAll('.differs').length,
        };
      }));
      const has07 = loadManifest().exercises.some((e) => e.slug === '07-training');
      expect(plots.map((p) => p.plot)).toEqual(['gradient-flow', 'histogram-tanh', 'histogram-relu', 'saturation', 'dead-vs-bias', 'dead-neuron-z', 'dead-neuron-grad', ...(has07 ? ['training-loss', 'training-first-layer', 'training-dead', 'lr-sweep'] : [])]);
      for (const p of plots) {
        expect(p.width, p.plot).toBeGreaterThan(200);
        expect(p.height, p.plot).toBeGreaterThan(100);
        expect(p.axes, `${p.plot}: an x and a y axis with labels`).toBeGreaterThanOrEqual(2);
        expect(p.legends, `${p.plot}: a legend with entries`).toBeGreaterThanOrEqual(1);
        expect(p.marks, `${p.plot}: drawn lines`).toBeGreaterThan(0);
      }
      // the mistake shows: the two sigmoid curves, the residual one (05 on the student's own 02, as the
      // lab compiles it) and the tanh one depart, each said in words and drawn with the reference
      expect(plots[0].differs).toBe(4);
      expect(await tab.locator('figure[data-plot="gradient-flow"] .role-legend-label text', { hasText: 'reference' }).count()).toBe(1);
      // the mean predictor's loss is drawn, and named in the legend, on every training plot of losses
      if (has07) for (const plot of ['training-loss', 'lr-sweep']) {
        expect(await tab.locator(`figure[data-plot="${plot}"] .role-legend-label text`, { hasText: 'mean predictor (0.5)' }).count(), plot).toBe(1);
      }
      expect(fetched).toEqual([]);
      expect(errors).toEqual([]);
      const shot = process.env.GRADLAB_SCREENSHOT || path.join(work, 'lab-page.png');
      await tab.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      expect(statSync(shot).size).toBeGreaterThan(20_000);
    });
  });
});
