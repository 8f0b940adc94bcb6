// Parallel fast path of verify. Each record's check is local: its hash must equal
// SHA-256(prev_hash ‖ canonical row) and its prev_hash must equal the hash of the record
// before it. So the seq range is split among worker threads, each recomputing the hashes of
// its slice on its own read-only connection and checking the links inside it; the caller
// then checks the links between slices. Only "all good" is decided here: on any doubt
// (a gap, a bad link or hash, a worker that fails) the caller walks the chain sequentially,
// which names the first bad record exactly as before.
//
// Each worker runs verify-worker.ts (dist/verify-worker.mjs in the bundle). Workers
// read rows ≤ a fixed seq; records are append-only, and the only concurrent change, a prune
// removing old rows, makes a slice look broken and so also leads to the sequential walk.

import os from 'node:os';
import { MessageChannel, type MessagePort, receiveMessageOnPort, type Worker } from 'node:worker_threads';
import { WardenError } from '../api/errors.ts';
import type { Layout } from './schema.ts';
import { startWorker } from './start-worker.ts';
import type { SliceJob, SliceResult } from './verify-worker.ts';
import { SliceFlag, sharedSlots } from './worker-slots.ts';

export type { SliceResult } from './verify-worker.ts';

// prev_hash ‖ canonical row (chain.ts canonicalRow / legacyCanonicalRow), built by SQLite.
// concat() makes the text in one allocation (a fifth less CPU per row than format() here).
const LEGACY_TEXT =
  'concat(prev_hash, \'{"host":\', json_quote(host), \',"kind":\', json_quote(kind), \',"ocsf":\', BODY, ' +
  '\',"outcome":\', json_quote(outcome), \',"prev_hash":\', json_quote(prev_hash), ' +
  '\',"sandbox_id":\', json_quote(sandbox_id), \',"seq":\', seq, \',"time":\', time, ' +
  "',\"user\":', json_quote(user), '}')";
const COMPACT_TEXT =
  'concat(prev_hash, \'{"ctx":\', CTX, \',"event":\', r.body, \',"host":\', json_quote(host), ' +
  '\',"kind":\', json_quote(kind), \',"logged":\', logged, \',"outcome":\', json_quote(outcome), ' +
  '\',"prev_hash":\', json_quote(prev_hash), \',"sandbox_id":\', json_quote(sandbox_id), ' +
  "',\"seq\":', seq, ',\"time\":', time, ',\"user\":', json_quote(user), '}')";
const CTX_LOOKUP = '(SELECT c.body FROM contexts c WHERE c.id = r.ctx)';

/** A context row: its id and stored text. */
export interface ContextRow {
  id: number;
  body: string;
}

/**
 * The context text of row r: with the contexts known (a few per database: one per writer's
 * device and version), a CASE of their texts, which spares a lookup per row; else the lookup.
 * An id missing from the CASE gives NULL, so the hash fails and the sequential walk decides.
 */
function contextSql(contexts: readonly ContextRow[] | undefined): string {
  if (!contexts || contexts.length === 0 || contexts.length > 64) return CTX_LOOKUP;
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const cases = contexts.map((c) => `WHEN ${Math.trunc(c.id)} THEN ${quote(c.body)}`).join(' ');
  return `(CASE r.ctx ${cases} END)`;
}

/**
 * The worker's query: hash, prev_hash ‖ canonical row, flags (SliceRowFlag: no context, no
 * logged time, a prev_hash that is not 64 bytes). Three values a row: each value read costs.
 */
export function sliceSql(layout: Layout, contexts?: readonly ContextRow[]): string {
  const compact = COMPACT_TEXT.replace('CTX', contextSql(contexts));
  const prevLength = '4 * (octet_length(r.prev_hash) <> 64)';
  const flags = `(r.ctx IS NULL) + 2 * (r.logged IS NULL) + ${prevLength}`;
  let text: string;
  if (!layout.contexts) text = `${LEGACY_TEXT.replace('BODY', 'r.ocsf')}, 3 + ${prevLength}`;
  // No schema 1 rows: every row is compact (one with a null context hashes wrong and is
  // caught by its flags), so no CASE per row.
  else if (layout.legacyThrough === 0) text = `${compact}, ${flags}`;
  else
    text = `CASE WHEN r.ctx IS NULL THEN ${LEGACY_TEXT.replace('BODY', 'r.body')} ELSE ${compact} END, ${flags}`;
  return `SELECT hash, ${text} FROM records r WHERE seq >= ? AND seq <= ? ORDER BY seq`;
}

/** How many worker threads verify uses (at most 4; one per core). */
export function verifyThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

/** Slice `index` of `n` over records first…first+total-1: the job its worker gets. */
function sliceJob(o: {
  port: MessagePort;
  flag: SliceJob['flag'];
  index: number;
  n: number;
  file: string;
  sql: string;
  first: number;
  total: number;
  anchorAt: number;
  layout: Layout;
}): SliceJob {
  return {
    port: o.port,
    flag: o.flag,
    index: o.index,
    file: o.file,
    sql: o.sql,
    from: o.first + Math.floor((o.total * o.index) / o.n),
    to: o.first + Math.floor((o.total * (o.index + 1)) / o.n) - 1,
    anchorAt: o.anchorAt,
    legacyThrough: o.layout.legacyThrough,
  };
}

/**
 * Verify records `first…last` of `file` in `threads` slices, blocking until all are done
 * (verify() stays synchronous). Returns null if the workers could not be used at all.
 */
export function verifySlices(
  file: string,
  layout: Layout,
  first: number,
  last: number,
  anchorAt: number,
  threads: number,
  options: { timeoutMs?: number; contexts?: readonly ContextRow[] } = {},
): SliceResult[] | null {
  const total = last - first + 1;
  // Generous (the sequential walk is the fallback): 30 s plus 100 µs per record.
  const limit = options.timeoutMs ?? 30_000 + total / 10;
  const sql = sliceSql(layout, options.contexts);
  const n = Math.max(1, Math.min(threads, total));
  const flag = sharedSlots(n); // all RUNNING (0)
  const workers: Array<{ worker: Worker; port: MessagePort }> = [];
  try {
    for (let i = 0; i < n; i++) {
      const { port1, port2 } = new MessageChannel();
      const job = sliceJob({ port: port2, flag, index: i, n, file, sql, first, total, anchorAt, layout });
      const worker = startWorker('verify-worker', { execArgv: [], workerData: job, transferList: [port2] });
      worker.unref();
      worker.on('error', () => {});
      workers.push({ worker, port: port1 });
    }
    const deadline = Date.now() + limit;
    const results: SliceResult[] = [];
    for (let i = 0; i < n; i++) {
      while (Atomics.load(flag, i) === SliceFlag.RUNNING) {
        const left = deadline - Date.now();
        if (left <= 0) return null;
        Atomics.wait(flag, i, SliceFlag.RUNNING, Math.min(left, 1000));
      }
      const port = workers[i]?.port;
      const received = port ? receiveMessageOnPort(port) : undefined;
      if (!received) return null;
      results.push(received.message as SliceResult);
    }
    return results;
  } catch {
    return null;
  } finally {
    for (const { worker, port } of workers) {
      port.close();
      void worker.terminate();
    }
  }
}

/** What the asynchronous variant takes beyond verifySlices' options. */
export interface AsyncSliceOptions {
  timeoutMs?: number;
  contexts?: readonly ContextRow[];
  /** A counter from verify-progress.ts: the workers add the rows they check, per chunk. */
  progress?: Int32Array;
  /** Aborting terminates the workers; the call then rejects with `Cancelled`. */
  signal?: AbortSignal;
}

/**
 * verifySlices for a caller that must not block (the daemon's `audit.verify` task): the same
 * workers and results, awaited on their ports instead of Atomics.wait. Resolves null when the
 * workers could not be used (the caller then walks the chain another way); rejects with
 * `Cancelled` when the signal aborts. Every worker is terminated before it settles.
 */
export async function verifySlicesAsync(
  file: string,
  layout: Layout,
  first: number,
  last: number,
  anchorAt: number,
  threads: number,
  options: AsyncSliceOptions = {},
): Promise<SliceResult[] | null> {
  const cancelled = () =>
    new WardenError('Cancelled', 'the verify was cancelled', 'start it again when you want it');
  if (options.signal?.aborted) throw cancelled();
  const total = last - first + 1;
  const limit = options.timeoutMs ?? 30_000 + total / 10;
  const sql = sliceSql(layout, options.contexts);
  const n = Math.max(1, Math.min(threads, total));
  const flag = sharedSlots(n);
  const workers: Array<{ worker: Worker; port: MessagePort }> = [];
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<SliceResult[] | null>((resolve, reject) => {
      const results = new Array<SliceResult | undefined>(n);
      let pending = n;
      timer = setTimeout(() => resolve(null), limit);
      onAbort = () => reject(cancelled());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const got = (i: number, result: SliceResult) => {
        if (results[i]) return;
        results[i] = result;
        if (--pending === 0) resolve(results as SliceResult[]);
      };
      for (let i = 0; i < n; i++) {
        const { port1, port2 } = new MessageChannel();
        const job = sliceJob({ port: port2, flag, index: i, n, file, sql, first, total, anchorAt, layout });
        if (options.progress) job.progress = options.progress;
        port1.on('message', (message: SliceResult) => got(i, message));
        const worker = startWorker('verify-worker', { execArgv: [], workerData: job, transferList: [port2] });
        worker.on('error', () => {});
        // A worker that ends without a result (it could not start) ends the wait at once.
        worker.once('exit', () => {
          const late = receiveMessageOnPort(port1);
          if (late) got(i, late.message as SliceResult);
          else if (!results[i]) resolve(null);
        });
        workers.push({ worker, port: port1 });
      }
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(
      workers.map(({ worker, port }) => {
        port.close();
        return worker.terminate().catch(() => 0);
      }),
    );
  }
}
