/**
 * The Node.js lines gradlab runs on: the maintained ones. On 2026-12-06 (Node's release schedule)
 * 22 is in maintenance until April 2027, 24 and 26 are LTS; 20 reached end of life in April 2026,
 * odd lines are never maintained for long. Every entry refuses any other Node before doing
 * anything (the course CLI and the template's through dispatch(), the template's lab, Gradescope's
 * run_autograder through the CLI): on Node 18 the grader used to give the reference 0 and blame the
 * student. package.json's `engines` is this list as a range (a test keeps the two equal).
 *
 * No imports: this module must load on any Node that can parse ES2022.
 */

/** Each supported line with its first usable release: 22.13.0 is where `--permission` (the sandbox's flag) left its experimental name. */
export const SUPPORTED_NODE = [
  { line: 22, from: '22.13.0' },
  { line: 24, from: '24.0.0' },
  { line: 26, from: '26.0.0' },
] as const;

/**
 * The line the workflows and Gradescope's setup.sh install: the newest LTS, and the first whose
 * permission model also denies the network, a second network layer for the sandbox (the only one
 * on a host without user namespaces, such as Gradescope's container).
 */
export const RECOMMENDED_NODE_LINE = 26;

/** The exit code of an entry that refuses to run on this Node (1 and 2 are the CLI's own). */
export const UNSUPPORTED_NODE_EXIT = 3;

/** `engines.node` of package.json (the course's and the template's). */
export function enginesRange(): string {
  return SUPPORTED_NODE.map((s) => `^${s.from}`).join(' || ');
}

function parts(version: string): number[] {
  return version.replace(/^v/, '').split(/[.-]/).slice(0, 3).map(Number);
}

function atLeast(version: string, from: string): boolean {
  const [a, b] = [parts(version), parts(from)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

/** Null on a supported Node, else the one sentence an entry prints before refusing. */
export function unsupportedNode(version: string = process.versions.node): string | null {
  const line = SUPPORTED_NODE.find((s) => s.line === parts(version)[0]);
  if (line && atLeast(version, line.from)) return null;
  const needed = SUPPORTED_NODE.map((s) => (s.from.endsWith('.0.0') ? String(s.line) : `${s.line} (${s.from} or later)`));
  return `this is Node.js ${version.replace(/^v/, '')}, and gradlab needs Node.js ${needed.slice(0, -1).join(', ')} or ${needed.at(-1)}: ` +
    `install Node.js ${RECOMMENDED_NODE_LINE} (https://nodejs.org) and run the same command again`;
}
