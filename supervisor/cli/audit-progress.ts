// `warden audit verify` and `warden audit export --out` on a long trail: the check or the
// write runs in worker threads (audit/verify-async.ts, audit/export-async.ts) reading
// $WARDEN_HOME directly, the daemon running or not, while this thread stays free to say how
// far it is (records of the total, on standard error so --json and the export stay clean:
// first after 2 s, then every 5 s; a short run says nothing) and to stop the workers on
// Ctrl-C (an export's partial file is removed), ending with exit code 130 as Ctrl-C does.

import { readDone } from '../audit/index.ts';

export interface ProgressDeps {
  /** One line on standard error. */
  say: (line: string) => void;
  /** Aborted: stop as Ctrl-C would (tests; the CLI itself listens for SIGINT). */
  signal?: AbortSignal;
  /** When the first line is said (default 2 s) and then how often (default 5 s). */
  firstMs?: number;
  everyMs?: number;
}

/** Exit code of work stopped by Ctrl-C (128 + SIGINT), as the shell reports it. */
export const INTERRUPTED = 130;

export function progressLine(
  what: string,
  done: number,
  total: number,
  startedMs: number,
  nowMs: number,
): string {
  const secs = Math.round((nowMs - startedMs) / 1000);
  const counts =
    total > 0
      ? `${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} records, ${Math.floor((done / total) * 100)}%`
      : `${done.toLocaleString('en-US')} records`;
  return `warden:   ${what} (${secs} s, ${counts})`;
}

/**
 * Runs `work` (given the signal that stops it), saying its progress from `counter` while it
 * runs. Resolves with its result, or with `null` when it was interrupted (Ctrl-C or
 * `deps.signal`): the caller has nothing to print then, and the exit code is set.
 */
export async function withProgress<T>(
  what: string,
  counter: Int32Array,
  total: () => number,
  deps: ProgressDeps,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T | null> {
  const stop = new AbortController();
  const onInt = () => stop.abort();
  const fromDeps = () => stop.abort();
  deps.signal?.addEventListener('abort', fromDeps, { once: true });
  process.once('SIGINT', onInt);
  const started = Date.now();
  const say = () => deps.say(progressLine(what, readDone(counter), total(), started, Date.now()));
  let tick: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    say();
    tick = setInterval(say, deps.everyMs ?? 5000);
  }, deps.firstMs ?? 2000);
  try {
    return await work(stop.signal);
  } catch (error) {
    if (!stop.signal.aborted || (error as { name?: string }).name !== 'Cancelled') throw error;
    deps.say(`warden: ${what} stopped after ${readDone(counter).toLocaleString('en-US')} records`);
    process.exitCode = INTERRUPTED;
    return null;
  } finally {
    clearTimeout(first);
    clearInterval(tick);
    process.removeListener('SIGINT', onInt);
    deps.signal?.removeEventListener('abort', fromDeps);
  }
}
