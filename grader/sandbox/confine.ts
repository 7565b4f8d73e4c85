/**
 * The operating system's limits around the sandbox child, on top of Node's permission model
 * (which caps neither memory outside the V8 heap nor, on Node 20, the network):
 *
 * - `unshare -rn`: a new user and network namespace, whose only interface is a loopback of its
 *   own, so no socket of the child reaches this machine or any other (TCP, UDP, DNS alike).
 * - `prlimit --as`: a cap on the child's whole address space, so ArrayBuffer, Buffer,
 *   SharedArrayBuffer and WebAssembly memory fail to allocate past it, as the V8 heap does.
 * - `prlimit --fsize=0`: no byte written to any file, whatever API writes it (Node ignores
 *   SIGXFSZ, so the write fails with EFBIG). An empty file can still be created: the child's
 *   working directory is a fresh empty folder, removed with it (see client.ts).
 *
 * Each wrapper is used only where it works here (checked once per process by running it on
 * `true`): macOS and Windows have neither, and some Linux systems forbid unprivileged user
 * namespaces. What is then left is documented in docs/security.md ("Sandbox").
 */
import { spawnSync } from 'node:child_process';

/**
 * Address space of the child, in MB, on top of its V8 heap. Measured with Node 20 on Linux x64:
 * Node starts from ≈ 800 MB (V8 reserves its code range and heap up front), and 03's largest
 * call (20 layers of 256×256, cloned and packed) needs ≈ 1.5 GB with the default 256 MB heap.
 */
const ADDRESS_SPACE_BEYOND_HEAP_MB = 1536;

export function addressSpaceMb(heapMb: number): number {
  return heapMb + ADDRESS_SPACE_BEYOND_HEAP_MB;
}

const works = new Map<string, boolean>();
function runs(file: string, args: string[]): boolean {
  const key = [file, ...args].join(' ');
  let ok = works.get(key);
  if (ok === undefined) {
    ok = spawnSync(file, [...args, 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
    works.set(key, ok);
  }
  return ok;
}

/** Which of the limits this machine gives the child. */
export interface Confinement {
  /** The child has a network namespace of its own (no network). */
  network: boolean;
  /** The child's address space and file writes are capped. */
  limits: boolean;
}

export function confinement(): Confinement {
  return { network: runs('unshare', ['-rn']), limits: runs('prlimit', ['--as=1000000000', '--fsize=0', '--']) };
}

/**
 * The command that runs `node <nodeArgs…>` under every limit available: for child_process.fork,
 * `execPath` is the first word and `execArgv` the rest, then fork appends the script.
 */
export function confinedNode(nodeArgs: string[], heapMb: number): { execPath: string; execArgv: string[] } {
  const { network, limits } = confinement();
  const words = [
    ...(network ? ['unshare', '-rn'] : []),
    ...(limits ? ['prlimit', `--as=${addressSpaceMb(heapMb) * 1024 * 1024}`, '--fsize=0', '--'] : []),
    process.execPath,
    ...nodeArgs,
  ];
  return { execPath: words[0], execArgv: words.slice(1) };
}
