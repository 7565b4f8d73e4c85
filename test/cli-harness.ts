/** Runs the `gradlab` entry point in this process (so its lines count for coverage), output captured. */
import { main } from '../grader/cli';
import { ROOT } from '../grader/paths';

export async function gradlab(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = { out: process.stdout.write, err: process.stderr.write, cwd: process.cwd(), env: { ...process.env } };
  process.stdout.write = ((chunk: string) => { stdout += chunk; return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write;
  Object.assign(process.env, env);
  process.chdir(cwd);
  try {
    const status = await main(args);
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.chdir(saved.cwd);
    for (const k of Object.keys(env)) if (saved.env[k] === undefined) delete process.env[k]; else process.env[k] = saved.env[k];
  }
}
