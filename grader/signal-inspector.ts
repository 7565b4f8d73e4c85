/**
 * The trusted processes (the CLI, the grading workers) never open an inspector on a signal: Node
 * opens one on 127.0.0.1:9229 when it receives SIGUSR1, and any local process could then run
 * code in the grader. Node 22.14+ and 23.7+ take `--disable-sigusr1` (passed to the workers);
 * on every line a SIGUSR1 listener replaces the inspector's handler once it is installed (checked
 * on Node 20: no port opens). The sandbox children cannot send the signal at all: they live in a
 * PID namespace of their own (grader/sandbox/confine.ts).
 */

/** Node flags for a trusted child process: `--disable-sigusr1` where this Node has it. */
export const NO_SIGNAL_INSPECTOR_FLAGS: string[] = process.allowedNodeEnvironmentFlags.has('--disable-sigusr1') ? ['--disable-sigusr1'] : [];

/** Makes SIGUSR1 do nothing in this process (idempotent). */
export function ignoreInspectorSignal(): void {
  if (!process.listeners('SIGUSR1').includes(ignore)) process.on('SIGUSR1', ignore);
}

function ignore(): void { /* the signal is not a request for a debugger here */ }
