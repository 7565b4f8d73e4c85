/**
 * The held-in submissions as a similarity check sees them, per exercise: the reference, its copies
 * (each one-line edit of test/submissions written into it by its patch, the reference with every
 * local name renamed, the reference reprinted in another layout, the reference itself) and the
 * independent implementations (the files under test/submissions/<case>/<exercise>/, written from
 * the course contract alone). Shared by test/similarity.test.ts and the measurement in
 * docs/similarity.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { loadManifest, type ManifestExercise } from '../grader/manifest';
import { ROOT } from '../grader/paths';
import type { CaseExpectation } from './submission-cases';

const SUBMISSIONS = path.join(ROOT, 'test', 'submissions');

/** The reference with every name it declares (variables, parameters, functions) renamed `v0`, `v1`, …; imports and property names kept. */
export function renameLocals(text: string): string {
  const source = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declared = new Map<string, string>();
  const collect = (node: ts.Node) => {
    if ((ts.isVariableDeclaration(node) || ts.isParameter(node) || ts.isFunctionDeclaration(node)) && node.name && ts.isIdentifier(node.name) && !declared.has(node.name.text)) {
      declared.set(node.name.text, `v${declared.size}`);
    }
    ts.forEachChild(node, collect);
  };
  collect(source);
  const edits: Array<{ start: number; end: number; name: string }> = [];
  const rename = (node: ts.Node) => {
    const parent = node.parent;
    const isProperty = parent && (ts.isPropertyAccessExpression(parent) && parent.name === node || ts.isPropertyAssignment(parent) && parent.name === node || ts.isPropertySignature(parent) && parent.name === node);
    if (ts.isIdentifier(node) && declared.has(node.text) && !isProperty && !ts.isImportSpecifier(parent) && !ts.isShorthandPropertyAssignment(parent)) {
      edits.push({ start: node.getStart(source), end: node.end, name: declared.get(node.text)! });
    }
    ts.forEachChild(node, rename);
  };
  rename(source);
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.name + out.slice(e.end);
  return out;
}

/** The reference reprinted by TypeScript's printer: another layout, no comments, the same code. */
export function reformat(text: string): string {
  const source = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed }).printFile(source).replace(/^ {4}/gm, '  ').replace(/\{\n/g, '{\n\n');
}

/** `text` with a case's patch written into it (each find occurs once, as test/submission-cases.ts checks). */
function patched(text: string, patch: NonNullable<CaseExpectation['patch']>): string {
  return patch.replace.reduce((t, r) => t.replace(r.find, () => r.with), text);
}

/** Files under test/submissions that were made from the reference, not from the contract alone. */
export const DERIVED: Record<string, string> = {
  'cross-import/01-activations': 'the reference 01 with its comments rewritten (and a syntax error)',
  'shared-helper/05-residual': 'the reference 05 refactored to call a helper of its own 02',
  // attackers' files, each the reference with its trainMlp or backward passes replaced
  'blowup-shift/07-training': 'the reference 07 with a scripted trainMlp',
  'clip-shrink-freeze/07-training': 'the reference 07 rewritten on 02 and lib calls, a fake clip and a freezing sgdStep',
  'gradnorm-infinite/07-training': 'the reference 07 with a freezing sgdStep and an infinite first norm',
  'replay-armed/07-training': 'the reference 07 with a scripted trainMlp and a NaN-arming sgdStep',
  'fd-backward/02-backprop': 'the reference 02 with numerical backward passes',
  'fd-backward/04-batchnorm': 'the reference 04 with a numerical backward pass',
  'fd-backward/05-residual': 'the reference 05 with a numerical backward pass',
  'fd-switch/02-backprop': 'the reference 02 with act′ after the last layer and a forward pass that switches on moved copies',
  'fd-switch/05-residual': 'the reference 05 without the identity path and a forward pass that switches on moved copies',
  'fd-steering/02-backprop': 'the reference 02 with db averaged, act′ at the output and a steering forward pass',
  'fd-steering/04-batchnorm': 'the reference 04 without γ in dx and with a steering forward pass',
  'fd-steering/05-residual': 'the reference 05 with act′ at the output and a steering forward pass',
  'norm-probe/07-training': 'the reference 07 with a bias-less norm and a globalGradNorm that answers the probe alone with it',
  'fixture-draw-shown/03-initialization': 'the reference 03 with an initMlp that redraws the fixture\'s network',
};

export interface ExerciseCases {
  exercise: ManifestExercise;
  reference: string;
  stub: string;
  /** name → a copy of the reference: `edit:<case>`, `derived:<case>`, `renamed`, `reformatted`, `reference`. */
  copies: Map<string, string>;
  /** name → an independent implementation: `<case>`. */
  independent: Map<string, string>;
}

/** Every case that writes a patch into the reference, with its folder name. */
function patchCases(): Array<{ name: string; patch: NonNullable<CaseExpectation['patch']> }> {
  const dirs = [...readdirSync(SUBMISSIONS).map((d) => path.join(SUBMISSIONS, d)), ...readdirSync(path.join(SUBMISSIONS, 'diagnoses')).map((d) => path.join(SUBMISSIONS, 'diagnoses', d))];
  return dirs.flatMap((dir) => {
    const file = path.join(dir, 'expected.json');
    if (!existsSync(file)) return [];
    const exp = JSON.parse(readFileSync(file, 'utf8')) as CaseExpectation;
    return exp.patch ? [{ name: path.basename(dir), patch: exp.patch }] : [];
  });
}

export function exerciseCases(): ExerciseCases[] {
  const patches = patchCases();
  return loadManifest().exercises.map((exercise) => {
    const rel = `${exercise.folder}/${exercise.file}`;
    const reference = readFileSync(path.join(ROOT, 'solutions', rel), 'utf8');
    const copies = new Map<string, string>([['reference', reference], ['renamed', renameLocals(reference)], ['reformatted', reformat(reference)]]);
    // a one-line edit: one replacement of at most two lines (a larger patch appends whole tables or helpers)
    for (const p of patches) {
      if (p.patch.file === rel && p.patch.replace.length === 1 && p.patch.replace[0].with.trim().split('\n').length <= 2) copies.set(`edit:${p.name}`, patched(reference, p.patch));
    }
    const independent = new Map<string, string>();
    for (const name of readdirSync(SUBMISSIONS).sort()) {
      const file = path.join(SUBMISSIONS, name, rel);
      // a file of its own, at least 20 lines: a real implementation (shared-helper-broken-02's 4 lines are not one)
      if (!existsSync(file) || readFileSync(file, 'utf8').split('\n').length < 20) continue;
      if (`${name}/${exercise.folder}` in DERIVED) copies.set(`derived:${name}`, readFileSync(file, 'utf8'));
      else independent.set(name, readFileSync(file, 'utf8'));
    }
    return { exercise, reference, stub: readFileSync(path.join(ROOT, 'exercises', rel), 'utf8'), copies, independent };
  });
}
