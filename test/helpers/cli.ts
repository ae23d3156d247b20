// Run the real tandem CLI (built into dist/) as a child process, the way an administrator does.
import { execa, type Result } from 'execa';
import { fileURLToPath } from 'node:url';

// tap injects its process-info loader into every child through NODE_OPTIONS. Daemons, CLIs and
// agents started by tests are the product, not tests: they must run as an administrator runs
// them (and an agent run as another user cannot write tap's files).
delete process.env.NODE_OPTIONS;

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TANDEM_BIN = `${REPO_ROOT}bin/tandem.js`;

export async function tandem(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return execa(process.execPath, [TANDEM_BIN, ...args], {
    reject: false,
    env: { ...env, TANDEM_DEBUG: '1' },
    stdin: 'ignore',
    timeout: 300_000,
  });
}

/** Run with --json and parse stdout. */
export async function tandemJson<T = unknown>(args: string[], env: Record<string, string> = {}): Promise<{ result: Result; json: T }> {
  const result = await tandem([...args, '--json'], env);
  let json: T;
  try {
    json = JSON.parse(String(result.stdout)) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.exitCode}): ${result.stdout}\n${result.stderr}`);
  }
  return { result, json };
}
