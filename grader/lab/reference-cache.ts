/**
 * The reference solutions' findings, kept between runs of `gradlab lab` in the course repository:
 * they depend only on solutions/, exercises/lib/ and the lab's own code, so a hash of those files
 * names them (node_modules/.cache/gradlab-lab/<hash>.json). A student's second run pays for their
 * own code only. Any change to those files is a new hash, so a stale entry is never read.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIB_DIR, ROOT, SOLUTIONS_DIR } from '../paths.js';
import type { Finding } from './experiments.js';
import { decodeFindings, encodeFindings } from './saved.js';

const LAB_DIR = path.dirname(fileURLToPath(import.meta.url));

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && /\.(ts|js|mjs|json)$/.test(d.name))
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}

/** The cache file for the current solutions, lib and lab code. */
export function referenceCacheFile(): string {
  const hash = createHash('sha256');
  for (const f of [...files(SOLUTIONS_DIR), ...files(LIB_DIR), ...files(LAB_DIR)]) hash.update(f).update('\0').update(readFileSync(f)).update('\0');
  return path.join(ROOT, 'node_modules', '.cache', 'gradlab-lab', `${hash.digest('hex').slice(0, 32)}.json`);
}

export function readReferenceCache(file: string): Record<string, Finding> {
  try {
    return existsSync(file) ? decodeFindings(readFileSync(file, 'utf8')) : {};
  } catch {
    return {}; // a damaged entry is recomputed
  }
}

/** Adds these findings to the entry (a run of some experiments adds theirs). Best effort: a read-only tree just recomputes. */
export function writeReferenceCache(file: string, findings: Record<string, Finding>): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, encodeFindings({ ...readReferenceCache(file), ...findings }));
  } catch {
    // nothing to do: the next run computes the reference again
  }
}
