// Attaches this terminal (or these pipes) to a command running in a sandbox: output
// streams through, stdin is passed on, a TTY goes raw with resizes sent on SIGWINCH, and
// the command's exit becomes ours (a signal n becomes 128+n, as shells report it).
// SIGINT, SIGTERM and SIGHUP are forwarded to the command; one that has not exited after
// the grace period (or at a second signal) is killed and its sandbox stopped, and we exit
// with 128+signal, so `timeout` and service managers can end a run.

import { type ApiClient, type ExecSession, execInSandbox } from '../client/api-client.ts';
import { SignalForwarder, signalNumber } from './signal-forwarding.ts';

export interface AttachOptions {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run under a PTY (default: when stdin and stdout are both terminals). */
  tty?: boolean;
  /** The daemon removes the sandbox when the command ends (ExecRequest.remove). */
  remove?: boolean;
  /**
   * After a forwarded signal, how long the command may take to exit before it is killed and
   * `stop` runs (default: never; the signal is only forwarded).
   */
  stopTimeoutMs?: number;
  /** Stops the sandbox once the grace period is over (or at a second signal). */
  stop?: () => Promise<void>;
  /** Told the command's output, to notice what it printed (e.g. ENOSPC). */
  watch?: (chunk: Buffer) => void;
}

export function exitCodeOf(status: { code: number | null; signal: string | null }): number {
  if (status.code !== null) return status.code;
  if (status.signal) {
    return 128 + signalNumber(status.signal);
  }
  return 1;
}

function waitEnd(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => stream.once('end', resolve));
}

/** Runs the command attached to this process's stdio; resolves with the exit code to use. */
export async function attach(client: ApiClient, sandboxId: string, opts: AttachOptions): Promise<number> {
  const stdin = process.stdin;
  const tty = opts.tty ?? Boolean(stdin.isTTY && process.stdout.isTTY);
  const forwarder = new SignalForwarder({
    ...(opts.stopTimeoutMs !== undefined ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
    ...(opts.stop ? { stop: opts.stop } : {}),
    say: (line) => process.stderr.write(`${line}\n`),
  });
  // Without a PTY, Ctrl-C and friends reach us: pass them to the command instead. They are
  // caught from before the command starts, so none of them leaves the sandbox without owner.
  const signals: NodeJS.Signals[] = tty ? ['SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of signals) process.on(s, forwarder.onSignal);
  let session: ExecSession;
  try {
    session = await execInSandbox(client, sandboxId, {
      argv: opts.argv,
      stdin: true,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      ...(opts.remove ? { remove: true } : {}),
      ...(tty ? { tty: { rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 } } : {}),
    });
  } catch (error) {
    forwarder.dispose();
    for (const s of signals) process.off(s, forwarder.onSignal);
    throw error;
  }
  forwarder.attach(session);
  const outDone = Promise.all([waitEnd(session.stdout), waitEnd(session.stderr)]);
  session.stdout.pipe(process.stdout, { end: false });
  session.stderr.pipe(process.stderr, { end: false });
  if (opts.watch) {
    session.stdout.on('data', opts.watch);
    session.stderr.on('data', opts.watch);
  }

  const onInput = (d: Buffer) => session.write(d);
  const onEnd = () => session.end();
  stdin.on('data', onInput);
  stdin.once('end', onEnd);
  const rawBefore = stdin.isTTY ? stdin.isRaw : false;
  if (tty && stdin.isTTY) stdin.setRawMode(true);
  const onResize = () => session.resize(process.stdout.rows || 24, process.stdout.columns || 80);
  if (tty) process.on('SIGWINCH', onResize);
  try {
    const ended = await Promise.race([session.exited, forwarder.stopped]);
    // Once stopping, the command's end (killed) is not the run's: the signal's code is.
    if (typeof ended === 'number' || forwarder.stopping) return await forwarder.stopped;
    forwarder.dispose();
    await outDone;
    if (ended.code === null && ended.signal === null && ended.error) {
      process.stderr.write(`warden: ${ended.error}\n`);
    }
    return exitCodeOf(ended);
  } finally {
    stdin.off('data', onInput);
    stdin.off('end', onEnd);
    if (tty && stdin.isTTY) stdin.setRawMode(rawBefore);
    stdin.pause();
    if (!stdin.isTTY) stdin.destroy();
    forwarder.dispose();
    process.off('SIGWINCH', onResize);
    for (const s of signals) process.off(s, forwarder.onSignal);
  }
}
