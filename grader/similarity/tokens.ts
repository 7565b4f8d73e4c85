/**
 * A TypeScript file as Dolos compares it: its syntax tree, written out node by node as
 * `( Kind … )`, each token mapped to the source region of its node. Only the kinds of nodes are
 * kept, never names, literals or layout, so renaming every variable or reformatting the file
 * leaves the tokens as they were (Dolos does the same with tree-sitter's trees: Maertens et al.,
 * "Dolos: Language-agnostic plagiarism detection in source code", J. Computer Assisted Learning,
 * 2022). Comments are trivia in TypeScript's tree, so they are not tokens either.
 *
 * The parser only reads the text: nothing of the student's code runs.
 */
import { File, Region, TokenizedFile } from '@dodona/dolos-core';
import ts from 'typescript';

/** A file larger than this is not compared (generated tables say nothing about who wrote the code). */
export const MAX_FILE_BYTES = 256 * 1024;

/**
 * The tokens of `content`, read as TypeScript, labelled `label` (the student, or `solutions/`).
 * Throws a RangeError on code nested too deep for the parser or this walk (thousands of brackets).
 */
export function tokenize(label: string, content: string): TokenizedFile {
  const source = ts.createSourceFile(label, content, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const tokens: string[] = [];
  const mapping: Region[] = [];
  const at = (pos: number) => source.getLineAndCharacterOfPosition(pos);
  const visit = (node: ts.Node) => {
    const children: ts.Node[] = [];
    ts.forEachChild(node, (child) => { children.push(child); });
    // a node's tokens mark only its own text up to its first child (a keyword, a name), so a shared
    // fragment marks the lines that are shared, not the whole function around them; tokens stay in
    // source order, as the index requires
    const start = at(node.getStart(source));
    const end = at(children.length ? Math.max(node.getStart(source), children[0].getStart(source)) : node.end);
    const own = new Region(start.line, start.character, end.line, end.character);
    tokens.push('(', ts.SyntaxKind[node.kind]);
    mapping.push(own, own);
    children.forEach(visit);
    tokens.push(')');
    mapping.push(own);
  };
  ts.forEachChild(source, visit);
  return new TokenizedFile(new File(label, content), tokens, mapping);
}
