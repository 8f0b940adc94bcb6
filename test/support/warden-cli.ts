// The real `warden` CLI as a child process, for tests: its output, exit code and time.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The Node CLI (what `bin/warden` runs for every command but `run`). */
export const WARDEN_BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
/** The `warden` command as npm installs it: `run` goes to the compiled client when built. */
export const WARDEN_COMMAND = fileURLToPath(new URL('../../bin/warden', import.meta.url));
/** The compiled `warden run` (build/run-native.mjs). */
export const WARDEN_RUN_NATIVE = fileURLToPath(new URL('../../dist/warden-run', import.meta.url));

/**
 * Why the compiled client is not there to test, or undefined when it is. Where Bun is
 * installed the build must have made it: its absence then fails the tests that use it.
 */
export function nativeRunMissing(): string | undefined {
  if (existsSync(WARDEN_RUN_NATIVE)) return undefined;
  const bun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));
  if (existsSync(bun))
    throw new Error(`bun is installed but ${WARDEN_RUN_NATIVE} was not built (npm run build)`);
  return 'no bun for this platform: warden run runs on Node';
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * `warden ARGS…` as a child process, through `bin/warden` as a user's shell runs it (not spawnSync: tests' upstreams answer from this
 * process's event loop); stdin gets `input`, then EOF. Killed after `timeoutMs`.
 */
export function runWarden(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  const t = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(WARDEN_COMMAND, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - t });
    });
    child.stdin.end(opts.input ?? '');
  });
}
