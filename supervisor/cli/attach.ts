// Attaches this terminal (or these pipes) to a command running in a sandbox: output
// streams through, stdin is passed on, a TTY goes raw with resizes sent on SIGWINCH, and
// the command's exit becomes ours (a signal n becomes 128+n, as shells report it).

import os from 'node:os';
import { type ApiClient, type ExecSession, execInSandbox } from '../client/api-client.ts';

export interface AttachOptions {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run under a PTY (default: when stdin and stdout are both terminals). */
  tty?: boolean;
  /** The daemon removes the sandbox when the command ends (ExecRequest.remove). */
  remove?: boolean;
}

export function exitCodeOf(status: { code: number | null; signal: string | null }): number {
  if (status.code !== null) return status.code;
  if (status.signal) {
    const n = (os.constants.signals as Record<string, number>)[status.signal];
    return 128 + (n ?? 15);
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
  const session: ExecSession = await execInSandbox(client, sandboxId, {
    argv: opts.argv,
    stdin: true,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
    ...(opts.remove ? { remove: true } : {}),
    ...(tty ? { tty: { rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 } } : {}),
  });
  const outDone = Promise.all([waitEnd(session.stdout), waitEnd(session.stderr)]);
  session.stdout.pipe(process.stdout, { end: false });
  session.stderr.pipe(process.stderr, { end: false });

  const onInput = (d: Buffer) => session.write(d);
  const onEnd = () => session.end();
  stdin.on('data', onInput);
  stdin.once('end', onEnd);
  const rawBefore = stdin.isTTY ? stdin.isRaw : false;
  if (tty && stdin.isTTY) stdin.setRawMode(true);
  const onResize = () => session.resize(process.stdout.rows || 24, process.stdout.columns || 80);
  const onSignal = (signal: NodeJS.Signals) => session.kill(signal);
  if (tty) process.on('SIGWINCH', onResize);
  // Without a PTY, Ctrl-C and friends reach us: pass them to the command instead.
  const signals: NodeJS.Signals[] = tty ? ['SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  for (const s of signals) process.on(s, onSignal);
  try {
    const status = await session.exited;
    await outDone;
    if (status.code === null && status.signal === null && status.error) {
      process.stderr.write(`warden: ${status.error}\n`);
    }
    return exitCodeOf(status);
  } finally {
    stdin.off('data', onInput);
    stdin.off('end', onEnd);
    if (tty && stdin.isTTY) stdin.setRawMode(rawBefore);
    stdin.pause();
    if (!stdin.isTTY) stdin.destroy();
    process.off('SIGWINCH', onResize);
    for (const s of signals) process.off(s, onSignal);
  }
}
