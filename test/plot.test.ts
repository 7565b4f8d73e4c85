import { describe, expect, it } from 'vitest';
import { renderSvg, type VegaLiteSpec } from '../grader/plot/render.ts';

const lines: VegaLiteSpec = {
  width: 200,
  height: 120,
  data: { values: [
    { layer: 1, norm: 1e-6, run: 'sigmoid' }, { layer: 2, norm: 1e-3, run: 'sigmoid' },
    { layer: 1, norm: 0.5, run: 'relu' }, { layer: 2, norm: 0.7, run: 'relu' },
  ] },
  mark: 'line',
  encoding: {
    x: { field: 'layer', type: 'quantitative' },
    y: { field: 'norm', type: 'quantitative', scale: { type: 'log' } },
    color: { field: 'run', type: 'nominal' },
  },
};

describe('renderSvg', () => {
  it('draws a Vega-Lite spec as a standalone SVG with axes, a legend and one line per series', async () => {
    const svg = await renderSvg(lines);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('role-axis');
    expect(svg).toContain('role-legend');
    // the legend names both series, and the log axis labels span the data (1e-6 … 1)
    expect(svg).toContain('>sigmoid<');
    expect(svg).toContain('>relu<');
    expect((svg.match(/class="mark-line role-mark/g) ?? []).length).toBe(2); // one line per series
    expect(svg).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('gives every render its own element ids, so plots can share one page', async () => {
    const spec: VegaLiteSpec = { ...lines, mark: { type: 'line', clip: true } } as VegaLiteSpec;
    const [a, b] = [await renderSvg(spec), await renderSvg(spec)];
    const ids = (svg: string) => [...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(ids(a).length).toBeGreaterThan(0);
    expect(ids(a).filter((id) => ids(b).includes(id))).toEqual([]);
    for (const m of a.matchAll(/url\(#([^)]+)\)/g)) expect(ids(a)).toContain(m[1]);
  });

  it('refuses a spec that would fetch its data', async () => {
    const remote = { ...lines, data: { url: 'https://example.com/data.json' } } as VegaLiteSpec;
    await expect(renderSvg(remote)).rejects.toThrow(/inline data only/);
  });
});
