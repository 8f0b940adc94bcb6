// Signals to `warden run`/`warden shell`: the first is forwarded to the guest command; if
// the command has not exited after the grace period, or at a second signal, it is killed
// and its sandbox stopped, and the run ends with 128+signal. A signal that arrives before
// the command started waits for it, so a run is never left without its owner.

import os from 'node:os';
import { InvalidArgumentError } from 'commander';
import type { ExecSession } from '../client/api-client.ts';

/**
 * A repeat of a signal this soon after the first is the same one delivered twice (timeout(1)
 * signals its command and then the command's process group), not a second Ctrl-C.
 */
export const REPEAT_WINDOW_MS = 300;

export const STOP_TIMEOUT_HELP =
  'after SIGINT, SIGTERM or SIGHUP is forwarded, how long the command may take to exit (a second signal: at once)';

export function parseStopTimeout(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 3600) {
    throw new InvalidArgumentError('expected seconds from 0 to 3600');
  }
  return n;
}

export function signalNumber(signal: string): number {
  return (os.constants.signals as Record<string, number>)[signal] ?? 15;
}

export interface ForwardOptions {
  /** How long the command may take to exit after a forwarded signal (default: forward only). */
  stopTimeoutMs?: number;
  /** Stops the sandbox once the grace period is over (or at a second signal). */
  stop?: () => Promise<void>;
  say: (line: string) => void;
}

export class SignalForwarder {
  /** Resolves with the run's exit code (128+signal) once the sandbox was stopped. */
  readonly stopped: Promise<number>;
  #resolveStopped!: (code: number) => void;
  #session?: ExecSession;
  #pending: NodeJS.Signals[] = [];
  #forwarded?: NodeJS.Signals;
  #forwardedAt = 0;
  #grace?: NodeJS.Timeout;
  #stopping = false;
  #done = false;
  readonly #opts: ForwardOptions;

  constructor(opts: ForwardOptions) {
    this.#opts = opts;
    this.stopped = new Promise((resolve) => {
      this.#resolveStopped = resolve;
    });
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** The command started: signals that came first reach it now. */
  attach(session: ExecSession): void {
    this.#session = session;
    if (this.#stopping) {
      session.kill('SIGKILL');
      if (this.#done) session.detach();
      return;
    }
    for (const s of this.#pending.splice(0)) session.kill(s);
  }

  /** The process signal handler. */
  readonly onSignal = (signal: NodeJS.Signals): void => {
    const { stopTimeoutMs } = this.#opts;
    if (this.#forwarded !== undefined && Date.now() - this.#forwardedAt < REPEAT_WINDOW_MS) return;
    if (this.#forwarded !== undefined && stopTimeoutMs !== undefined) {
      return this.#stop(signal, `${signal} again and the command is still running`);
    }
    if (this.#session) this.#session.kill(signal);
    else this.#pending.push(signal);
    if (this.#forwarded !== undefined || stopTimeoutMs === undefined) return;
    this.#forwarded = signal;
    this.#forwardedAt = Date.now();
    this.#grace = setTimeout(
      () =>
        this.#stop(
          signal,
          `the command did not exit within ${stopTimeoutMs / 1000} s of ${signal} (--stop-timeout)`,
        ),
      stopTimeoutMs,
    );
  };

  dispose(): void {
    clearTimeout(this.#grace);
  }

  #stop(signal: NodeJS.Signals, why: string): void {
    if (this.#stopping) return;
    this.#stopping = true;
    clearTimeout(this.#grace);
    this.#opts.say(`\r\nwarden: ${why}: stopping it`);
    this.#session?.kill('SIGKILL');
    (this.#opts.stop ? this.#opts.stop() : Promise.resolve())
      .catch((error: Error) => this.#opts.say(`warden: stopping the sandbox failed: ${error.message}`))
      .finally(() => {
        this.#done = true;
        this.#session?.detach();
        this.#resolveStopped(128 + signalNumber(signal));
      });
  }
}
