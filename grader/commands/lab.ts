/**
 * `gradlab lab [exercise…] [folder]`: runs the course's experiments on your own functions and
 * shows what happens — per-layer tables and one-line charts in the terminal, and with --html one
 * self-contained page of plots. Your code runs in the grading sandbox with the grading limits;
 * the lab's inputs are its own, never a hidden test's.
 */
import { existsSync, realpathSync, statSync, watch } from 'node:fs';
import path from 'node:path';
import { CliError } from '../errors.js';
import { loadManifest } from '../manifest.js';
import type { Finding } from '../lab/experiments.js';
import type { LabOptions } from '../lab/run.js';
import type { Compile } from '../lab/student.js';
import { SOLUTIONS_DIR } from '../paths.js';
import { parseCommandArgs, parseTimeout } from './args.js';

/** How the usage line and the error messages name the command: `gradlab lab`, or `npm run lab --`. */
const usageOf = (run: string) => run.replace(/^npx /, '');

const COURSE_RUN = 'npx gradlab lab';

/**
 * The help, for how the lab is run: `npx gradlab lab` in the course, `npm run lab --` in the
 * template (npm passes what follows `--` to the script).
 */
function helpText(run: string): string {
  const examples: Array<[string, string]> = [
    [run.replace(/ --$/, ''), 'every experiment on exercises/'],
    [`${run} 02 --html lab-report`, 'the experiments that use exercise 02, as a page'],
  ];
  return `Usage: ${usageOf(run)} [exercise…] [folder] [--html DIR] [--watch]

Runs the course's experiments on your own functions (exercises/ by default, or the folder you
name): vanishing gradients through 10 layers, activations under three initializations,
saturated and dead units, a neuron that dies, and training curves of networks that learn, stall
or explode (07). Prints a table per layer and a one-line chart of
each curve; where your curve departs from the reference solution's, says how.

Options:
  --html DIR      also write DIR/index.html: every plot, drawn as SVG, one file, works offline
  --watch         run again whenever a file under the folder changes (Ctrl-C to stop)
  --timeout MS    the time limit of one call to your code (default 5000, as in grading)

Examples:
${examples.map(([command, what]) => `  ${command.padEnd(40)} # ${what}`).join('\n')}
`;
}

/** An exercise named by slug, folder or number ("02", "2"); undefined if the word is none. */
function exerciseSlug(word: string): string | undefined {
  const all = loadManifest().exercises;
  const n = /^\d+$/.test(word) ? word.padStart(2, '0') + '-' : null;
  return all.find((e) => e.slug === word || e.folder === word || (n !== null && e.slug.startsWith(n)))?.slug;
}

export interface LabArgs { dir: string; only: string[]; html?: string; watch: boolean; timeoutMs: number }

/** `run` is how the lab is run (see helpText), for the next step the errors name. */
export function parseLabArgs(argv: string[], cwd = process.cwd(), run = COURSE_RUN): LabArgs | null {
  const { values, positionals } = parseCommandArgs('lab', argv, {
    html: { type: 'string' },
    watch: { type: 'boolean' },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, usageOf(run));
  if (values.help) return null;
  const only: string[] = [];
  let dir: string | undefined;
  for (const word of positionals) {
    const slug = exerciseSlug(word);
    if (slug) only.push(slug);
    else if (existsSync(path.resolve(cwd, word)) && statSync(path.resolve(cwd, word)).isDirectory() && !dir) dir = path.resolve(cwd, word);
    else throw new CliError('E_UNKNOWN_EXERCISE', `'${word}' is neither an exercise (${loadManifest().exercises.map((e) => e.slug).join(', ')}) nor a folder: see \`${usageOf(run)} --help\``);
  }
  dir ??= path.resolve(cwd, 'exercises');
  if (!existsSync(dir)) throw new CliError('E_NO_SUBMISSION', `no folder ${dir}: run the lab from the top of your repository, where exercises/ is, or name the folder that holds your exercises`);
  if (values.html === '') throw new CliError('E_USAGE', '--html needs a folder to write the page into, e.g. --html lab-report');
  return { dir, only, html: values.html ? path.resolve(cwd, values.html) : undefined, watch: values.watch ?? false, timeoutMs: parseTimeout(values.timeout) };
}

/** How the lab gets at code, and what it compares with: solutions/ in the course, saved numbers in the template. */
export interface LabSetting {
  compile: Compile;
  /** How the student runs the lab, for the next step the report suggests. */
  command: string;
  reference: (dir: string) => LabOptions['reference'];
  /** Keeps the reference's findings of a run for the next one (the course's cache). */
  remember?: (findings: Record<string, Finding>) => void;
}

/**
 * The course's reference solutions (cached findings first), unless they are what is being run.
 * The lab is not grading: it compiles as the template does (compile-own.ts), each exercise with
 * the student's own other exercises, never the reference's, so a wrong σ′ in 01 shows in every
 * curve that goes through it, here as in the template.
 */
async function courseSetting(): Promise<LabSetting> {
  const { compileOwn } = await import('../lab/compile-own.js');
  const cache = await import('../lab/reference-cache.js');
  const file = cache.referenceCacheFile();
  return {
    compile: compileOwn,
    command: COURSE_RUN,
    reference: (dir) => {
      if (!existsSync(SOLUTIONS_DIR) || realpathSync(dir) === realpathSync(SOLUTIONS_DIR)) return null;
      return { dir: SOLUTIONS_DIR, findings: cache.readReferenceCache(file) };
    },
    remember: (findings) => cache.writeReferenceCache(file, findings),
  };
}

/** One run of the lab: prints the terminal report, writes the page if asked. */
export async function labOnce(args: LabArgs, setting: LabSetting, out: (text: string) => void): Promise<void> {
  const { runLab } = await import('../lab/run.js');
  const { renderLab } = await import('../lab/terminal.js');
  const started = performance.now();
  const outcomes = await runLab({ dir: args.dir, compile: setting.compile, reference: setting.reference(args.dir), only: args.only, callTimeoutMs: args.timeoutMs });
  const ms = performance.now() - started;
  out(renderLab(outcomes, ms, setting.command) + '\n');
  const computed = outcomes.filter((o) => o.reference && o.experiment.comparable);
  setting.remember?.(Object.fromEntries(computed.map((o) => [o.experiment.id, o.reference as Finding])));
  if (args.html) {
    const { writeLabPage } = await import('../lab/page.js');
    const file = await writeLabPage(args.html, outcomes, path.relative(process.cwd(), args.dir) || '.');
    out(`Wrote ${path.relative(process.cwd(), file)}: open it in a browser.\n`);
  }
}

/** Re-runs `again` after changes under `dir` settle (200 ms), one run at a time; resolves on SIGINT. */
export function watchFolder(dir: string, again: () => Promise<void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const watcher = watch(dir, { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => { running = running.then(again); }, 200);
    });
    const stop = () => {
      clearTimeout(timer);
      watcher.close();
      process.off('SIGINT', stop);
      void running.then(() => resolve());
    };
    process.once('SIGINT', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

export async function run(argv: string[]): Promise<number> {
  return labMain(argv, await courseSetting());
}

/** The command, for the course (`gradlab lab`) and for the student template (`npm run lab`). */
export async function labMain(argv: string[], setting: LabSetting): Promise<number> {
  const args = parseLabArgs(argv, process.cwd(), setting.command);
  if (!args) {
    process.stdout.write(helpText(setting.command));
    return 0;
  }
  const out = (text: string) => { process.stdout.write(text); };
  await labOnce(args, setting, out);
  if (args.watch) {
    out(`\nWatching ${path.relative(process.cwd(), args.dir) || '.'} for changes (Ctrl-C to stop).\n`);
    await watchFolder(args.dir, async () => {
      out(`\n${'═'.repeat(30)} ${new Date().toLocaleTimeString()} — a file changed, running the lab again\n\n`);
      try {
        await labOnce(args, setting, out);
      } catch (err) {
        out(`gradlab lab: ${(err as Error).message}\n`);
      }
    });
  }
  return 0;
}
