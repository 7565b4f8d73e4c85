/** Sandboxes for tests: made with a test's defaults, closed after the file; and the error a call fails with. */
import { afterAll, expect } from 'vitest';
import { Sandbox, SandboxError, type SandboxOptions } from '../grader/sandbox/client';

type Options = Omit<SandboxOptions, 'code' | 'label'>;

/** A maker of sandboxes for module `m.ts` with these defaults, each closed after the test file. */
export function sandboxMaker(defaults: Options): (code: string, opts?: Options) => Sandbox {
  const open: Sandbox[] = [];
  afterAll(() => open.forEach((s) => s.close()));
  return (code, opts = {}) => {
    const sb = new Sandbox({ code, label: 'm.ts', ...defaults, ...opts });
    open.push(sb);
    return sb;
  };
}

/** The SandboxError a promise rejects with (the test fails if it resolves). */
export async function failure(p: Promise<unknown>): Promise<SandboxError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SandboxError);
    return err as SandboxError;
  }
  throw new Error('expected the call to fail');
}
