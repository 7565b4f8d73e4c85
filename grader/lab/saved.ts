/**
 * The reference's findings as the student template stores them (lab/reference.json). JSON has no
 * NaN or ±Infinity, and an exploding run is made of them: they travel as strings.
 */
import type { Finding } from './experiments.js';

const NON_FINITE = new Set(['NaN', 'Infinity', '-Infinity']);

export function encodeFindings(findings: Record<string, Finding>): string {
  return JSON.stringify(findings, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n';
}

export function decodeFindings(text: string): Record<string, Finding> {
  return JSON.parse(text, (_, v) => (typeof v === 'string' && NON_FINITE.has(v) ? Number(v) : v)) as Record<string, Finding>;
}
