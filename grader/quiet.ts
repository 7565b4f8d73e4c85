/** Streams for a programmatic vitest whose own output must not mix with ours. */
import { Writable } from 'node:stream';

/**
 * vitest's own output (cursor codes on a terminal, its warnings) must not mix with the report on
 * stdout: it goes nowhere, or to stderr with GRADLAB_DEBUG=1.
 */
export function quietStreams(): { stdout: Writable; stderr: Writable } {
  if (process.env.GRADLAB_DEBUG) return { stdout: process.stderr, stderr: process.stderr };
  const sink = () => new Writable({ write(_chunk, _enc, done) { done(); } });
  return { stdout: sink(), stderr: sink() };
}
