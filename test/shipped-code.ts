/**
 * Finds code of one set of files inside the text of another, however a bundler reprinted it: both
 * sides are compiled to JavaScript without comments, then stripped of whitespace, brackets,
 * semicolons, commas, quotes and rolldown's `$1` renames, and every run of WINDOW characters of a
 * source that is not also in what may ship (the stubs, lib and public tests) is looked for in
 * every shipped file. A function body inlined into a bundle is found; a shared name is not.
 */
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/** Long enough that no line of ordinary code matches by chance, short enough for a one-line body. */
export const WINDOW = 48;

/** JavaScript as text with nothing a bundler changes when it reprints code. */
export function normalize(text: string, file = 'x.ts'): string {
  const js = /\.(ts|mts|js|mjs|cjs)$/.test(file)
    ? ts.transpileModule(text, { fileName: file, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, removeComments: true } }).outputText
    : text;
  return js
    // an import names a module, it is not code: the modules themselves are scanned
    .replace(/^\s*(import|export)\b[^;'"]*?\bfrom\s*['"][^'"]+['"];?/gm, '')
    .replace(/^\s*import\s*['"][^'"]+['"];?/gm, '')
    .replace(/\$\d+\b/g, '')
    .replace(/[\s()[\]{};,'"`]/g, '');
}

/** Every run of WINDOW characters of `text`. */
export function windows(text: string): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + WINDOW <= text.length; i++) out.add(text.slice(i, i + WINDOW));
  return out;
}

export interface Inlined { source: string; shipped: string; sample: string }

/**
 * For each source file, the first shipped file that holds one of its windows (none that occur in
 * `allowed`, the normalized text that may ship), with the window found.
 */
export function findInlined(sources: string[], shipped: Array<{ name: string; text: string }>, allowed: string): Inlined[] {
  const ok = windows(allowed);
  const found: Inlined[] = [];
  for (const source of sources) {
    const own = [...windows(normalize(readFileSync(source, 'utf8'), source))].filter((w) => !ok.has(w));
    const mine = new Set(own);
    if (mine.size === 0) continue;
    for (const file of shipped) {
      let hit: string | undefined;
      for (let i = 0; i + WINDOW <= file.text.length && !hit; i++) {
        const w = file.text.slice(i, i + WINDOW);
        if (mine.has(w)) hit = w;
      }
      if (hit) { found.push({ source, shipped: file.name, sample: hit }); break; }
    }
  }
  return found;
}
