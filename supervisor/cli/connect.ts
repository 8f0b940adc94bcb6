// How CLI commands reach the daemon: read the token, and start a daemon in the
// background when a command needs one and none runs.

import { ApiClient, DaemonUnavailableError } from '../client/api-client.ts';
import { launchDaemon } from '../client/launch-daemon.ts';
import { findWardenBin } from '../home/bin.ts';
import { defaultHome, ensureHome, type WardenPaths, wardenPaths } from '../home/index.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { needsNodeCli } from './hand-over.ts';

export function cliPaths(): WardenPaths {
  return wardenPaths(defaultHome());
}

/** The daemon's first answer: a request whose reply the command needs anyway, or the status. */
type Probe<T> = (client: ApiClient) => Promise<T>;

const statusProbe: Probe<unknown> = (client) => client.call('GET /v1/status', { timeoutMs: 5_000 });

async function ping<T>(
  paths: WardenPaths,
  probe: Probe<T>,
): Promise<{ client: ApiClient; first: T } | undefined> {
  try {
    const client = await ApiClient.fromFiles(paths.socket, paths.tokenFile, 'cli');
    return { client, first: await probe(client) };
  } catch (error) {
    if (error instanceof DaemonUnavailableError) return undefined;
    throw error;
  }
}

/** A client for a running daemon, or a clear error saying how to start one. */
export async function connect(paths = cliPaths()): Promise<ApiClient> {
  const running = await ping(paths, statusProbe);
  if (running) return running.client;
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
  return (await connectOrStartWith(statusProbe, paths, say)).client;
}

/**
 * connectOrStart whose first request is `probe`, a read the command needs anyway (one round
 * trip fewer than a status call before it); `first` is its answer. It must not change anything:
 * it is sent again once a daemon it found missing has started.
 */
export async function connectOrStartWith<T>(
  probe: Probe<T>,
  paths = cliPaths(),
  say: (line: string) => void = () => {},
): Promise<{ client: ApiClient; first: T }> {
  const running = await ping(paths, probe);
  if (running) return running;
  await needsNodeCli('start the daemon');
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
    const started = await ping(paths, probe);
    if (started) return started;
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
