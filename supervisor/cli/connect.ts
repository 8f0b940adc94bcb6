// How CLI commands reach the daemon: read the token, and start a daemon in the
// background when a command needs one and none runs.

import { ApiClient, DaemonUnavailableError } from '../client/api-client.ts';
import { launchDaemon } from '../client/launch-daemon.ts';
import { findWardenBin } from '../home/bin.ts';
import { defaultHome, ensureHome, type WardenPaths, wardenPaths } from '../home/index.ts';
import { CliError, ExitCode } from './exit-codes.ts';

export function cliPaths(): WardenPaths {
  return wardenPaths(defaultHome());
}

async function ping(paths: WardenPaths): Promise<ApiClient | undefined> {
  try {
    const client = await ApiClient.fromFiles(paths.socket, paths.tokenFile, 'cli');
    await client.call('GET /v1/status', { timeoutMs: 5_000 });
    return client;
  } catch (error) {
    if (error instanceof DaemonUnavailableError) return undefined;
    throw error;
  }
}

/** A client for a running daemon, or a clear error saying how to start one. */
export async function connect(paths = cliPaths()): Promise<ApiClient> {
  const client = await ping(paths);
  if (client) return client;
  throw new CliError(
    `the Warden daemon is not running for ${paths.home}`,
    ExitCode.daemonUnavailable,
    'start it with: warden daemon',
  );
}

/** bin/warden.mjs of this package, found from wherever this code was loaded (sources or dist/). */
export function wardenBin(): string {
  const bin = findWardenBin();
  if (!bin) throw new CliError('cannot find bin/warden.mjs to start the daemon', ExitCode.environment);
  return bin;
}

/** A client for the running daemon, starting one in the background if none runs. */
export async function connectOrStart(
  paths = cliPaths(),
  say: (line: string) => void = () => {},
): Promise<ApiClient> {
  const running = await ping(paths);
  if (running) return running;
  const tightened = ensureHome(paths.home);
  if (tightened) say(tightened);
  const bin = wardenBin();
  say(`starting the Warden daemon (log: ${paths.daemonLog})`);
  const child = launchDaemon(paths, { execPath: process.execPath, binPath: bin });
  child.unref();
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? 1;
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const client = await ping(paths);
    if (client) return client;
    if (exited !== null) break;
  }
  throw new CliError(
    exited !== null
      ? `the Warden daemon exited with code ${exited} while starting`
      : 'the Warden daemon did not start within 15 s',
    ExitCode.daemonUnavailable,
    `see its log: ${paths.daemonLog}`,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
