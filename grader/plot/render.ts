/**
 * Vega-Lite → SVG, in Node, at build time: `vega-lite` compiles the spec to Vega, `vega` renders
 * it headless (renderer 'none', no canvas, no browser). The SVG is self-contained, so a page made
 * of these strings works offline, with no script and no CDN.
 *
 * Used by the lab's page (`gradlab lab --html`) and by any other report that draws a plot.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

/** A loader that never fetches (images, or data a spec names by url), as a second guard. */
const offline = {
  ...vega.loader(),
  load: () => Promise.reject(new Error('renderSvg: nothing is fetched')),
  sanitize: () => Promise.reject(new Error('renderSvg: nothing is fetched')),
} as unknown as ReturnType<typeof vega.loader>;

let renders = 0;

/**
 * Renders one Vega-Lite spec to an SVG string. Element ids (clip paths, gradients) get a prefix
 * unique to this render, so many plots can be inlined in one HTML page without clashing.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const compiled = compile(spec).spec;
  // vega only logs a failed fetch and draws an empty plot: refuse it here, with a message
  if ((compiled.data ?? []).some((d) => 'url' in d)) {
    throw new Error('renderSvg: plots take inline data only (data: { values: [...] }), nothing is fetched');
  }
  const runtime = vega.parse(compiled);
  const view = new vega.View(runtime, { renderer: 'none', loader: offline, logLevel: vega.Error });
  try {
    const svg = await view.toSVG();
    const prefix = `p${++renders}-`;
    return svg.replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`).replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`);
  } finally {
    view.finalize();
  }
}
