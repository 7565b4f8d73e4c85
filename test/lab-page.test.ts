/**
 * The lab's page in a real browser: Debian's Chromium, driven by playwright-core, opens the page
 * built from a submission with a known mistake (so the reference is drawn too) and checks that
 * every plot rendered: an SVG with a size, axes, a legend and drawn marks; nothing fetched.
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

describe('the lab page in headless Chromium', () => {
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
      const shot = process.env.GRADLAB_SCREENSHOT ?? path.join(work, 'lab-page.png');
      await tab.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');
      expect(statSync(shot).size).toBeGreaterThan(20_000);
    });
  });
});
