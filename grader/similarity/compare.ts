/**
 * Which submissions of one exercise are alike, with Dolos's winnowing index (`@dodona/dolos-core`):
 * every file becomes the fingerprints of its k-grams of syntax tokens (tokens.ts), and two files are
 * as similar as the share of their fingerprints they have in common.
 *
 * What never makes two students look alike: the exercise's stub (an ignored file: its fingerprints
 * count for nobody), and code that most of the files share (a fingerprint found in more files than
 * `maxShared` is ignored). The reference solution and earlier years' submissions are indexed like
 * the students, so a copy of either shows as a pair; only pairs with a student of this class are
 * kept. Evidence for a person to read: nothing here changes a score.
 */
import { FingerprintIndex, type Pair, type TokenizedFile } from '@dodona/dolos-core';
import { tokenize } from './tokens.js';

/** Where a compared file comes from: a student of this class, the course's reference, an earlier year. */
export type Origin = 'student' | 'reference' | 'earlier';

export interface Submission { name: string; origin: Origin; content: string }

/** A stretch of a file: rows and columns from 0, the end exclusive. */
export interface Span { startLine: number; startCol: number; endLine: number; endCol: number }

export interface SimilarPair {
  left: Submission;
  right: Submission;
  /** Shared fingerprints over all fingerprints of both files (ignored ones left out): 0 to 1. */
  similarity: number;
  /** The longest run of consecutive shared fingerprints, in k-grams, with where it is on each side. */
  longest: { kgrams: number; left: Span; right: Span };
  /** Every shared fragment, in the left file's order. */
  fragments: Array<{ left: Span; right: Span; kgrams: number }>;
}

export interface Options {
  /** Tokens per k-gram. */
  k: number;
  /** k-grams per winnowing window (at least one fingerprint in each). */
  window: number;
  /** A fingerprint found in more files than this is ignored (code most of the class shares). */
  maxShared: number;
}

/**
 * The parameters, chosen by measurement on the held-in submissions (docs/similarity.md, asserted by
 * test/similarity.test.ts): Dolos's own defaults for k and the window.
 */
export const DEFAULTS = { k: 23, window: 17 } as const;

/** A pair at or above this similarity is listed (docs/similarity.md: the gap it sits in). */
export const THRESHOLD = 0.65;

/**
 * Code most of the class shares: a fingerprint in more than half of the files of an exercise, in a
 * class of at least 10 (in a smaller one, half the class is too few to call it "the class's code":
 * a few students who all copied the reference would hide each other).
 */
export function maxSharedFor(files: number): number {
  return Math.max(10, Math.floor(files / 2));
}

const span = (r: { startRow: number; startCol: number; endRow: number; endCol: number }): Span => ({ startLine: r.startRow, startCol: r.startCol, endLine: r.endRow, endCol: r.endCol });

/** Occurrences of ignored fingerprints in one file's entry. */
function ignoredIn(pair: Pair, side: 'left' | 'right'): number {
  const entry = side === 'left' ? pair.leftEntry : pair.rightEntry;
  let n = 0;
  for (const shared of entry.ignored) n += shared.occurrencesOf(entry.file).length;
  return n;
}

function describe(pair: Pair, left: Submission, right: Submission): SimilarPair {
  // computed here rather than read from pair.similarity: dolos-core 1.2.1 subtracts the left file's
  // ignored count for both sides, so a stub-heavy file on one side skews the share
  const total = pair.leftTotal + pair.rightTotal - ignoredIn(pair, 'left') - ignoredIn(pair, 'right');
  const similarity = total > 0 ? (pair.leftCovered + pair.rightCovered) / total : 0;
  const fragments = pair.buildFragments().map((f) => ({ left: span(f.leftSelection), right: span(f.rightSelection), kgrams: f.pairs.length }));
  const longest = fragments.reduce<SimilarPair['fragments'][number] | null>((best, f) => (!best || f.kgrams > best.kgrams ? f : best), null)
    ?? { kgrams: 0, left: { startLine: 0, startCol: 0, endLine: 0, endCol: 0 }, right: { startLine: 0, startCol: 0, endLine: 0, endCol: 0 } };
  return { left, right, similarity, longest, fragments };
}

/**
 * Every pair of `submissions` with at least one student in it, most similar first (ties by name).
 * A file that cannot be read as code (nested too deep for the parser) is returned in `skipped`.
 */
export function comparePairs(submissions: Submission[], stub: string | null, options: Partial<Options> = {}): { pairs: SimilarPair[]; skipped: Array<{ name: string; reason: string }> } {
  const o: Options = { ...DEFAULTS, maxShared: maxSharedFor(submissions.length), ...options };
  const index = new FingerprintIndex(o.k, o.window, false, o.maxShared);
  const skipped: Array<{ name: string; reason: string }> = [];
  const files = new Map<TokenizedFile, Submission>();
  for (const s of submissions) {
    try {
      files.set(tokenize(s.name, s.content), s);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      skipped.push({ name: s.name, reason: 'nested too deep to be read as code' });
    }
  }
  index.addFiles([...files.keys()]);
  // after the files: dolos-core 1.2.1 ignores a stub's fingerprints only in the files indexed before it
  if (stub !== null) index.addIgnoredFile(tokenize('stub', stub));
  const entries = [...files];
  const pairs: SimilarPair[] = [];
  for (let i = 0; i < entries.length; i++) {
    for (let j = i + 1; j < entries.length; j++) {
      const [a, sa] = entries[i];
      const [b, sb] = entries[j];
      if (sa.origin !== 'student' && sb.origin !== 'student') continue;
      // the student on the left, the reference or an earlier year on the right
      const [l, r, ls, rs] = sa.origin === 'student' ? [a, b, sa, sb] : [b, a, sb, sa];
      pairs.push(describe(index.getPair(l, r), ls, rs));
    }
  }
  pairs.sort((x, y) => y.similarity - x.similarity || (x.left.name + x.right.name < y.left.name + y.right.name ? -1 : 1));
  return { pairs, skipped };
}
