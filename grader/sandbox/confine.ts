/**
 * The operating system's walls around the sandbox child, on top of Node's permission model (which
 * covers neither signals, unix sockets, memory outside the V8 heap nor, before Node 25, the
 * network). Each is a layer with a name; `confinement()` says which are in force on this host,
 * found by running them (never by reading versions), and `confinedNode()` builds the command that
 * puts the child inside every layer in force:
 *
 *   prlimit --as=… --fsize=0 -- bwrap <mount, pid, net, ipc, uts namespaces…> -- node <flags> child.mjs
 *
 * - engine (bubblewrap, `bwrap`): a mount namespace holding only what Node needs, read-only (/usr,
 *   the node binary's folder, the child script; a fresh tmpfs /tmp as working directory; no /run,
 *   /var, /etc, home or host /tmp, so no unix socket of the host can be named), its own PID
 *   namespace (no process outside can be seen or signalled: process._debugProcess, os.setPriority
 *   reach nobody), a new session, no capabilities, and --die-with-parent: killing bwrap kills the
 *   namespace's init, and with it every process in the namespace.
 * - groups: the child holds no supplementary group (spawned with `gid`, so libuv drops them where
 *   the grader may, i.e. as root); in a user namespace a group that is not dropped shows as 65534
 *   but the kernel still honours it, so a grading user in `docker` must not grade.
 * - network-namespace: bwrap's --unshare-net (or `unshare -rn` where bwrap does not work): only a
 *   loopback of its own, so no TCP/UDP socket reaches this machine or any other.
 * - node-permission-network: Node ≥ 25's permission model denies the network without
 *   --allow-net: a second network layer where it exists (not required: older lines have none).
 * - limits: `prlimit --as` caps the whole address space (ArrayBuffer, WebAssembly memory…) and
 *   `--fsize=0` makes every write to a file fail (EFBIG).
 * - cpu-time: /proc/<pid>/stat, read by the trusted side for every call's CPU-time limit.
 *
 * Tools are found on the host's PATH; `GRADLAB_PROC_DIR` names another /proc (a test uses a
 * missing one to stand for a host without it). Each probe runs once per process and environment.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Address space of the child, in MB, on top of its V8 heap. Measured with Node 20 on Linux x64:
 * Node starts from ≈ 800 MB (V8 reserves its code range and heap up front), and 03's largest
 * call (20 layers of 256×256, cloned and packed) needs ≈ 1.5 GB with the default 256 MB heap.
 */
const ADDRESS_SPACE_BEYOND_HEAP_MB = 1536;

export function addressSpaceMb(heapMb: number): number {
  return heapMb + ADDRESS_SPACE_BEYOND_HEAP_MB;
}

export const LAYERS = ['engine', 'groups', 'network-namespace', 'node-permission-network', 'limits', 'cpu-time'] as const;
export type LayerId = typeof LAYERS[number];

/** Layers a host must give for `--require-confinement`: all but Node's network denial, which only Node ≥ 25 has. */
export const REQUIRED_LAYERS: readonly LayerId[] = ['engine', 'groups', 'network-namespace', 'limits', 'cpu-time'];

/** What each layer stops, and what a host lacking it must provide (one clause each, for sentences). */
export const LAYER_TEXT: Record<LayerId, { stops: string; provide: string }> = {
  engine: {
    stops: 'mount, PID and session namespaces (bubblewrap): no host file, unix socket or process is visible',
    provide: 'bubblewrap (`bwrap`, Debian/Ubuntu package `bubblewrap`) and unprivileged user namespaces (on Ubuntu 24.04: `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`)',
  },
  groups: {
    stops: 'no supplementary group of the grading user (such as `docker`)',
    provide: 'a grading user without supplementary groups (`id -G` shows one group), or grading as root, which drops them',
  },
  'network-namespace': {
    stops: 'a network namespace of its own: no TCP or UDP socket reaches this machine or another',
    provide: 'unprivileged user namespaces (bubblewrap or `unshare -rn` must work; on Ubuntu 24.04: `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`)',
  },
  'node-permission-network': {
    stops: "Node's permission model denies the network (Node ≥ 25 without --allow-net)",
    provide: 'Node 25 or later',
  },
  limits: {
    stops: 'a capped address space and no byte written to any file (`prlimit --as --fsize=0`)',
    provide: '`prlimit` (util-linux)',
  },
  'cpu-time': {
    stops: 'CPU-time limits read from /proc, so a busy machine never turns a correct call into a timeout',
    provide: 'a readable /proc (Linux)',
  },
};

/** One layer as found on this host. */
export interface Layer {
  id: LayerId;
  inForce: boolean;
  /** When not in force: why, as found (for the report). */
  why?: string;
}

/** Which layers this host gives the sandbox child. */
export interface Confinement {
  layers: Layer[];
  /** The required layers that are not in force (empty: the sandbox is whole). */
  missing: LayerId[];
}

/** Where the tools and /proc are: read from the environment, so a test can take pieces away. */
interface Host {
  bwrap: string | null;
  unshare: string | null;
  prlimit: string | null;
  proc: string;
}

function onPath(name: string, envPath: string): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch { /* not here */ }
  }
  return null;
}

function hostOf(env: NodeJS.ProcessEnv): Host {
  const envPath = env.PATH ?? '/usr/bin:/bin';
  return { bwrap: onPath('bwrap', envPath), unshare: onPath('unshare', envPath), prlimit: onPath('prlimit', envPath), proc: env.GRADLAB_PROC_DIR ?? '/proc' };
}

/** The folder of /proc the trusted side reads CPU time from (see cpu-time.ts). */
export function procDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GRADLAB_PROC_DIR ?? '/proc';
}

/** The wrapper words for a set of layers; `readable` are files the child must see (its script). */
function wrapper(host: Host, use: Use, heapMb: number, readable: string[]): string[] {
  const words: string[] = [];
  // prlimit outside bwrap: the limits are inherited across its exec and clone, and prlimit need not be inside the mount
  if (use.limits && host.prlimit) words.push(host.prlimit, `--as=${addressSpaceMb(heapMb) * 1024 * 1024}`, '--fsize=0', '--');
  if (use.engine && host.bwrap) words.push(host.bwrap, ...engineArgs(readable), '--');
  else if (use.unshare && host.unshare) words.push(host.unshare, '-rn', '--');
  return words;
}

/**
 * bubblewrap's arguments: every namespace, a root of read-only binds (the node binary and its
 * libraries, the files in `readable`), a fresh /proc of the PID namespace, a minimal /dev and a
 * tmpfs /tmp as working directory. Nothing else of the host exists inside.
 */
function engineArgs(readable: string[]): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--ro-bind', '/usr', '/usr'];
  // merged-/usr systems link these into /usr; older ones have real folders
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    let real: string;
    try { real = realpathSync(dir); } catch { continue; }
    if (real.startsWith('/usr/')) args.push('--symlink', path.relative('/', real), dir);
    else args.push('--ro-bind', dir, dir);
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const p of bindsOf(readable)) args.push('--ro-bind', p, p);
  args.push('--chdir', '/tmp');
  return args;
}

/** What is bound into the mount besides /usr: the node binary's folder and the files the child reads. */
function bindsOf(readable: string[]): string[] {
  const binds = new Set([path.dirname(realpathSync(process.execPath)), ...readable.map((f) => realpathSync(f))]);
  return [...binds].filter((p) => !p.startsWith('/usr/'));
}

const permissionFlag = Number(process.versions.node.split('.')[0]) >= 22 ? '--permission' : '--experimental-permission';

/**
 * Runs inside the wrapper, under Node's permission model with reads allowed, and prints what it
 * finds: the layers are checked by what the child sees, not by what the wrapper was asked for.
 */
const PROBE = String.raw`
const fs = require('node:fs');
const net = require('node:net');
const status = fs.readFileSync('/proc/self/status', 'utf8');
const field = (name) => (status.match(new RegExp('^' + name + ':[ \\t]*(.*)$', 'm')) || [])[1] || '';
const stat = fs.readFileSync('/proc/self/stat', 'utf8');
const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
const limits = fs.readFileSync('/proc/self/limits', 'utf8');
const limit = (name) => ((limits.match(new RegExp('^' + name + '\\s+(\\S+)', 'm')) || [])[1] || '');
let interfaces = [];
try { interfaces = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean); } catch {}
const out = {
  pid: process.pid,
  pids: fs.readdirSync('/proc').filter((n) => /^[0-9]+$/.test(n)).length,
  session: Number(rest[3]),
  root: fs.readdirSync('/'),
  tmp: fs.readdirSync(process.cwd()),
  cwd: process.cwd(),
  groups: field('Groups').trim(),
  gid: field('Gid').split(/\s+/)[0],
  capEff: field('CapEff'),
  capBnd: field('CapBnd'),
  interfaces,
  as: limit('Max address space'),
  fsize: limit('Max file size'),
};
const done = (net) => { out.net = net; process.stdout.write(JSON.stringify(out)); process.exit(0); };
try {
  const s = net.connect({ host: '127.0.0.1', port: 9 });
  s.on('error', (e) => done(e.code || 'error'));
  s.on('connect', () => { s.destroy(); done('connected'); });
} catch (e) { done(e.code || 'error'); }
`;

interface Probe {
  pid: number; pids: number; session: number; root: string[]; tmp: string[]; cwd: string; groups: string; gid: string;
  capEff: string; capBnd: string; interfaces: string[]; as: string; fsize: string; net: string;
}

/** Runs `words… node PROBE`; the probe's findings, or why it did not run. */
function probe(words: string[]): Probe | string {
  const [file, ...args] = [...words, process.execPath, permissionFlag, '--allow-fs-read=*', '--no-warnings', '-e', PROBE];
  const r = spawnSync(file, args, { encoding: 'utf8', env: {}, cwd: '/', timeout: 60_000, gid: process.getgid?.() });
  if (r.error) return r.error.message;
  try {
    return JSON.parse(r.stdout) as Probe;
  } catch {
    return `exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]?.slice(0, 200) ?? ''}`;
  }
}

/** `true` by its path (inside bwrap's mount too, which holds /usr): the PATH may hold nothing else. */
const TRUE = existsSync('/usr/bin/true') ? '/usr/bin/true' : '/bin/true';

/** Whether `file args… true` succeeds: a tool that is there but cannot work here fails this. */
function runsTrue(file: string | null, args: string[]): boolean {
  if (!file) return false;
  return spawnSync(file, [...args, TRUE], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

const ROOT_ALLOWED = new Set(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32', 'usr', 'proc', 'dev', 'tmp']);

interface Use { engine: boolean; unshare: boolean; limits: boolean }
interface Found { confinement: Confinement; host: Host; use: Use; words: (heapMb: number, readable: string[]) => string[] }

function find(env: NodeJS.ProcessEnv): Found {
  const host = hostOf(env);
  const why: Partial<Record<LayerId, string>> = {};
  const limits = runsTrue(host.prlimit, ['--as=1000000000', '--fsize=0', '--']);
  if (!limits) why.limits = host.prlimit ? `${host.prlimit} does not work here` : 'no `prlimit` on PATH';
  let engine = runsTrue(host.bwrap, [...engineArgs([]), '--']);
  if (!engine) why.engine = host.bwrap ? `${host.bwrap} does not work here (no user namespaces?)` : 'no `bwrap` on PATH';
  const unshare = !engine && runsTrue(host.unshare, ['-rn']);
  let use = { engine, unshare, limits };
  let seen = probe(wrapper(host, use, 256, []));
  if (typeof seen === 'string' && engine) {
    // bwrap runs `true` but not Node: grade without it (and say so) rather than not at all
    why.engine = `Node did not start inside ${host.bwrap}: ${seen}`;
    engine = false;
    use = { engine, unshare: runsTrue(host.unshare, ['-rn']), limits };
    seen = probe(wrapper(host, use, 256, []));
  }
  const p = typeof seen === 'string' ? null : seen;
  const problem = typeof seen === 'string' ? `the probe did not run (${seen})` : '';

  const inForce: Record<LayerId, boolean> = {
    // the root holds the system's folders and the first folder of each bind (a Node installed under
    // /root/.cache or /opt shows as root or opt); /tmp is the child's own tmpfs: empty but for the
    // binds that live below /tmp (a Node installed there)
    engine: engine && !!p && p.pid <= 3 && p.pids <= 3 && p.session > 0 && p.root.every((e) => ROOT_ALLOWED.has(e) || bindsOf([]).some((b) => b.split('/')[1] === e)) && p.cwd === '/tmp'
      && p.tmp.every((e) => bindsOf([]).some((b) => b.startsWith(`/tmp/${e}/`) || b === `/tmp/${e}`))
      && /^0+$/.test(p.capEff) && /^0+$/.test(p.capBnd),
    groups: !!p && p.groups.split(/\s+/).filter((g) => g && g !== p.gid).length === 0,
    'network-namespace': !!p && (use.engine || use.unshare) && p.interfaces.every((i) => i === 'lo'),
    'node-permission-network': !!p && p.net === 'ERR_ACCESS_DENIED',
    limits: limits && !!p && p.as === String(addressSpaceMb(256) * 1024 * 1024) && p.fsize === '0',
    'cpu-time': existsSync(path.join(host.proc, 'self', 'stat')) && existsSync(path.join(host.proc, String(process.pid), 'task', String(process.pid), 'children')),
  };
  if (engine && p && !inForce.engine) why.engine = `bwrap ran but the child saw ${JSON.stringify({ pid: p.pid, pids: p.pids, session: p.session, root: p.root, cwd: p.cwd, tmp: p.tmp.slice(0, 5) })}`;
  if (!inForce.groups) why.groups = p ? `the child holds the grading user's supplementary groups (${p.groups.split(/\s+/).filter((g) => g !== p.gid).join(' ')}; 65534 is a group kept but unmapped)` : problem;
  if (!inForce['network-namespace']) why['network-namespace'] = !p ? problem : use.engine || use.unshare ? `the child sees interfaces ${p.interfaces.join(', ')}` : 'neither bwrap nor `unshare -rn` works here';
  if (!inForce['node-permission-network']) why['node-permission-network'] = p ? `Node ${process.versions.node} under --permission: a connection gave ${p.net}` : problem;
  if (limits && !inForce.limits) why.limits = p ? `the child's limits are as=${p.as} fsize=${p.fsize}` : problem;
  if (!inForce['cpu-time']) why['cpu-time'] = `${host.proc} cannot be read (CPU-time limits become wall-time limits)`;

  const layers = LAYERS.map((id): Layer => (inForce[id] ? { id, inForce: true } : { id, inForce: false, why: why[id] ?? problem }));
  return {
    confinement: { layers, missing: REQUIRED_LAYERS.filter((id) => !inForce[id]) },
    host,
    use,
    words: (heapMb, readable) => wrapper(host, use, heapMb, readable),
  };
}

const found = new Map<string, Found>();
const keyOf = (env: NodeJS.ProcessEnv): string => `${env.PATH}\u0000${env.GRADLAB_PROC_DIR}\u0000${process.execPath}`;

/** Set by shareConfinement: this process's findings, for the processes it starts (same environment, same findings). */
const SHARED_ENV = 'GRADLAB_CONFINEMENT_FOUND';

function foundFor(env: NodeJS.ProcessEnv): Found {
  const key = keyOf(env);
  let f = found.get(key);
  if (!f) {
    f = fromShared(env, key) ?? find(env);
    found.set(key, f);
  }
  return f;
}

function fromShared(env: NodeJS.ProcessEnv, key: string): Found | null {
  try {
    const shared = JSON.parse(env[SHARED_ENV] ?? '') as { key: string; confinement: Confinement; host: Host; use: Use };
    if (shared.key !== key) return null;
    return { confinement: shared.confinement, host: shared.host, use: shared.use, words: (heapMb, readable) => wrapper(shared.host, shared.use, heapMb, readable) };
  } catch {
    return null;
  }
}

/**
 * Hands this process's findings to the processes it starts (the grading workers) through the
 * environment, so each does not probe again (≈ 0.4 s of starting Node under the wrapper). The
 * environment is the trusted side's own; a worker whose PATH or /proc differ probes for itself.
 */
export function shareConfinement(): void {
  const f = foundFor(process.env);
  process.env[SHARED_ENV] = JSON.stringify({ key: keyOf(process.env), confinement: f.confinement, host: f.host, use: f.use });
}

/** Which layers this host gives the sandbox child (probed once per process and environment). */
export function confinement(env: NodeJS.ProcessEnv = process.env): Confinement {
  return foundFor(env).confinement;
}

/**
 * One sentence for a host missing required layers: each layer, why, and what the host must
 * provide; '' when nothing is missing.
 */
export function refusal(c: Confinement): string {
  if (c.missing.length === 0) return '';
  const parts = c.missing.map((id) => `${id} (${LAYER_TEXT[id].stops}; missing: ${c.layers.find((l) => l.id === id)?.why ?? 'not found'}; provide ${LAYER_TEXT[id].provide})`);
  return `not graded: --require-confinement was given and this host lacks the sandbox layer${parts.length > 1 ? 's' : ''} ${parts.join('; ')}`;
}

/**
 * One line for a report: the layers in force and those missing, each with why (`brief`: names
 * only, for what a student sees).
 */
export function describeConfinement(c: Confinement, brief = false): string {
  const on = c.layers.filter((l) => l.inForce).map((l) => l.id);
  const off = c.layers.filter((l) => !l.inForce);
  const name = (l: Layer) => `${l.id}${REQUIRED_LAYERS.includes(l.id) ? '' : ' (not required)'}${brief || !l.why ? '' : `: ${l.why}`}`;
  const head = c.missing.length === 0 ? 'every required protection in force' : `MISSING ${c.missing.join(', ')}`;
  return `Sandbox: ${head}. In force: ${on.join(', ') || 'none'}.${off.length ? ` Not in force: ${off.map(name).join('; ')}.` : ''}`;
}

/** Set by `--require-confinement`: a sandbox then refuses to start without every required layer. */
export const REQUIRE_ENV = 'GRADLAB_REQUIRE_CONFINEMENT';

/**
 * The command that runs `node <nodeArgs…>` under every layer in force: for child_process.fork,
 * `execPath` is the first word and `execArgv` the rest (fork appends the script); `readable` are
 * the files the child must be able to read (its script), bound read-only into its mount
 * namespace. `gid` drops the supplementary groups where the grader may (as root). Throws when
 * `--require-confinement` is in force (REQUIRE_ENV) and a required layer is missing.
 */
export function confinedNode(nodeArgs: string[], heapMb: number, readable: string[] = []): { execPath: string; execArgv: string[]; gid?: number } {
  const f = foundFor(process.env);
  if (process.env[REQUIRE_ENV] === '1' && f.confinement.missing.length > 0) throw new Error(refusal(f.confinement));
  const words = [...f.words(heapMb, readable), process.execPath, ...nodeArgs];
  return { execPath: words[0], execArgv: words.slice(1), gid: process.getgid?.() };
}
