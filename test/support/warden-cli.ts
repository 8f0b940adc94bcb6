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

/** A child process whose output is collected: it resolves once it closed; `write` and `kill` meanwhile. */
export type Collecting = Promise<CliRun & { signal: NodeJS.Signals | null }> & {
  write: (data: string) => void;
  kill: (signal: NodeJS.Signals) => void;
};

/**
 * `argv` as a child process (not spawnSync: tests' upstreams answer from this process's event
 * loop). Its stdin gets `input`, then EOF, or stays open for `write` with `keepStdin`. Killed
 * after `timeoutMs`.
 */
export function collect(
  argv: string[],
  env: NodeJS.ProcessEnv,
  opts: { input?: string; timeoutMs?: number; cwd?: string; keepStdin?: boolean } = {},
): Collecting {
  const t = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
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
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t });
    });
  });
  child.stdin.on('error', () => {}); // EPIPE from a command that ended without reading
  if (!opts.keepStdin) child.stdin.end(opts.input ?? '');
  return Object.assign(done, {
    write: (data: string) => {
      child.stdin.write(data);
    },
    kill: (signal: NodeJS.Signals) => {
      child.kill(signal);
    },
  });
}

/** `warden ARGS…` through `bin/warden`, as a user's shell runs it. */
export function runWarden(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return collect([WARDEN_COMMAND, ...args], env, opts);
}
