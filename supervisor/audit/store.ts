// The audit store: one SQLite database (WAL) of OCSF records in a SHA-256 hash chain, with
// an anchor file beside it. `append` is synchronous: when it returns, the record is
// committed (and, in `durable` mode, fsynced), so the caller may treat the event as
// acknowledged. When a write fails, `append` throws AuditWriteError and `fault` says why
// until a later write succeeds.

import type Database from 'better-sqlite3';
import type {
  AuditChainStatus,
  AuditFilter,
  AuditHistogram,
  AuditPage,
  AuditRecord,
} from '../api/audit-types.ts';
import type { WardenEvent } from '../api/events.ts';
import type { Disposer, EventBus } from '../events/bus.ts';
import { type AnchorState, AnchorWriter, anchorFileOf, readAnchor } from './anchor.ts';
import { GENESIS_HASH } from './chain.ts';
import type { StoredEvent } from './compact.ts';
import { ContextTable, contextText } from './contexts.ts';
import { batchSize, type EncodedBatch, emptyBatch, encodeEvents } from './encode.ts';
import { AuditRetentionError, AuditWriteError, describeWriteFailure } from './errors.ts';
import { type ExportOptions, exportRecords } from './export.ts';
import { HistogramQueries, type HistogramRange } from './histogram.ts';
import type { OcsfContext } from './ocsf.ts';
import { type PageOptions, RecordQueries } from './query.ts';
import { checkpointStep, planPrune, type RetentionPolicy } from './retention.ts';
import type { Layout } from './schema.ts';
import { SegmentWriter } from './segments.ts';
import { type AuditStoreOptions, type Durability, localDevice, openDatabase } from './store-setup.ts';
import {
  type Head,
  type Inserts,
  prepareInserts,
  type WriteBatch,
  type WriterContext,
  writeRecords,
} from './store-write.ts';
import { verifyChain } from './verify.ts';
import { WalCheckpoints } from './wal-checkpointer.ts';

export interface PruneResult {
  pruned: number;
  throughSeq: number | null;
  checkpoint: AuditRecord | null;
}

export type { AuditStoreOptions, Durability } from './store-setup.ts';
export { localDevice } from './store-setup.ts';

export class AuditStore {
  readonly file: string;
  readonly anchorFile: string;
  readonly durability: Durability;
  readonly readOnly: boolean;
  readonly #db: Database.Database;
  readonly #layout: Layout;
  readonly #contexts: ContextTable;
  readonly #anchor: AnchorWriter | null;
  readonly #ctx: OcsfContext;
  readonly #ctxText: string;
  /** This writer's row in `contexts`, once a transaction that ensured it has committed. */
  #ctxId: number | null = null;
  #pendingCtxId: number | null = null;
  readonly #now: () => number;
  readonly #onFault: (fault: string | null) => void;
  readonly #queries: RecordQueries;
  readonly #histograms: HistogramQueries;
  readonly #insert: Inserts | null;
  readonly #head: Database.Statement;
  readonly #first: Database.Statement;
  readonly #write: Database.Transaction<(batch: WriteBatch) => AuditRecord[]>;
  readonly #segments: SegmentWriter | null;
  readonly #verifyOptions: { threads?: number; parallelMin?: number };
  #fault: string | null = null;
  #closed = false;
  readonly #checkpoints: WalCheckpoints | null;

  private constructor(file: string, db: Database.Database, layout: Layout, options: AuditStoreOptions) {
    this.file = file;
    this.anchorFile = anchorFileOf(file);
    this.#db = db;
    this.#layout = layout;
    this.#contexts = new ContextTable(db, layout.contexts);
    this.durability = options.durability ?? 'durable';
    this.readOnly = options.readOnly ?? false;
    this.#ctx = { device: options.device ?? localDevice(), version: options.version ?? '0.0.0' };
    this.#ctxText = contextText(this.#ctx);
    this.#now = options.now ?? Date.now;
    this.#onFault = options.onFault ?? (() => {});
    this.#queries = new RecordQueries(db, layout, this.#contexts);
    this.#histograms = new HistogramQueries(db, layout);
    this.#verifyOptions = {};
    if (options.verifyThreads !== undefined) this.#verifyOptions.threads = options.verifyThreads;
    if (options.verifyParallelMin !== undefined) this.#verifyOptions.parallelMin = options.verifyParallelMin;
    this.#head = db.prepare('SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1');
    this.#first = db.prepare('SELECT seq FROM records ORDER BY seq ASC LIMIT 1').pluck();
    this.#insert = this.readOnly ? null : prepareInserts(db);
    this.#checkpoints = this.readOnly
      ? null
      : new WalCheckpoints(db, file, this.durability === 'durable' ? 'FULL' : 'NORMAL');
    this.#segments = this.readOnly ? null : new SegmentWriter(db);
    // One transaction function, reused: each call runs in BEGIN IMMEDIATE … COMMIT.
    this.#write = db.transaction((batch: WriteBatch) => this.#writeRecords(batch));
    this.#anchor = this.readOnly ? null : this.#openAnchor(options.onWarning ?? (() => {}));
  }

  /** Open (creating when absent, unless read-only) the audit database at `dbPath`. */
  static open(dbPath: string, options: AuditStoreOptions = {}): AuditStore {
    const { db, layout } = openDatabase(dbPath, options);
    try {
      return new AuditStore(dbPath, db, layout, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** The SQLite settings in force (journal mode; synchronous 1 = NORMAL, 2 = FULL; temp_store 2 = MEMORY). */
  settings(): { journalMode: string; synchronous: number; tempStore: number } {
    return {
      journalMode: String(this.#db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.#db.pragma('synchronous', { simple: true })),
      tempStore: Number(this.#db.pragma('temp_store', { simple: true })),
    };
  }

  /** Where WAL checkpoints run: inside commits (SQLite's automatic ones) or in a worker thread. */
  get walCheckpoints(): 'commits' | 'worker' {
    return this.#checkpoints?.where ?? 'commits';
  }

  /** WAL checkpoints asked of the checkpoint worker so far. */
  get walCheckpointsAsked(): number {
    return this.#checkpoints?.asked ?? 0;
  }

  /** null when writes succeed; otherwise what failed and what to do about it. */
  get fault(): string | null {
    return this.#fault;
  }

  /** Record one event; returns when it is committed (fsynced in durable mode). */
  append(event: WardenEvent): AuditRecord {
    return this.appendBatch([event])[0] as AuditRecord;
  }

  /** Record several events in one transaction (one fsync). All or none are recorded. */
  appendBatch(events: readonly WardenEvent[]): AuditRecord[] {
    this.#writable();
    if (events.length === 0) return [];
    const now = this.#now();
    return this.#commit(encodeEvents(events, now), now).records;
  }

  /**
   * Record events already encoded (encodeEvents, possibly on another thread) in one
   * transaction, without building the records: the daemon's writer thread.
   */
  appendEncoded(events: EncodedBatch): { chained: boolean | null } {
    this.#writable();
    if (batchSize(events) === 0) return { chained: null };
    return { chained: this.#commit(events, this.#now(), undefined, false).chained };
  }

  /** This writer's context as stored and hashed (chainHashes takes it). */
  get contextText(): string {
    return this.#ctxText;
  }

  /** Record every event the bus emits, synchronously inside `emit` (a failure reaches the bus's onError). */
  attach(bus: EventBus): Disposer {
    return bus.subscribe((event) => {
      this.append(event);
    });
  }

  /** The newest record's seq and hash (null when empty). */
  head(): Head | null {
    return (this.#head.get() as Head | undefined) ?? null;
  }

  /** Records currently in the table. */
  count(): number {
    const head = this.head();
    if (!head) return 0;
    return head.seq - (this.#first.get() as number) + 1;
  }

  get(seq: number): AuditRecord | null {
    return this.#queries.get(seq);
  }

  /**
   * A filtered page ordered by event time (then seq), newest first unless `order: 'asc'`;
   * pass `nextCursor` back for the next page.
   */
  query(filter: AuditFilter = {}, page: PageOptions = {}): AuditPage {
    return this.#queries.page(filter, page);
  }

  /** Records per time bucket and kind over a range (for a histogram). */
  histogram(
    filter: Pick<AuditFilter, 'sandbox' | 'host' | 'outcome'>,
    range: HistogramRange,
  ): AuditHistogram {
    return this.#histograms.histogram(filter, range);
  }

  /** Records after `afterSeq`, oldest first (live tail). */
  follow(afterSeq: number, filter: AuditFilter = {}, limit = 1000): AuditRecord[] {
    return this.#queries.after(afterSeq, filter, limit);
  }

  /** Walk the whole chain and compare its head with the anchor. */
  verify(): AuditChainStatus {
    return {
      ...verifyChain(this.#db, this.#layout, this.#contexts, readAnchor(this.anchorFile), {
        file: this.file,
        ...this.#verifyOptions,
      }),
      ...(this.readOnly ? {} : { fault: this.#fault }),
    };
  }

  /** Stream records (`ocsf`: JSON array, `ocsf-ndjson`, `jsonl`: Warden records with hashes). */
  export(options: ExportOptions): number {
    return exportRecords(this.#db, this.#layout, this.#contexts, options);
  }

  /**
   * Retention: remove the oldest records beyond the policy's age, count or size limits, after
   * checking that they verify, and append a checkpoint record carrying the hash, seq range
   * and count of what was removed, so the remaining chain still verifies. Never removes the
   * newest record.
   */
  prune(policy: RetentionPolicy, actor = 'warden'): PruneResult {
    this.#writable();
    const now = this.#now();
    const plan = planPrune(this.#db, policy, now);
    if (!plan) return { pruned: 0, throughSeq: null, checkpoint: null };
    const check = verifyChain(
      this.#db,
      this.#layout,
      this.#contexts,
      { state: 'missing' },
      {
        throughSeq: plan.throughSeq,
        file: this.file,
        ...this.#verifyOptions,
      },
    );
    if (check.firstBad) {
      throw new AuditRetentionError(
        `retention refused: the records it would remove do not verify (seq ${check.firstBad.seq}: ${check.firstBad.problem})`,
        check.firstBad.seq,
      );
    }
    const { records } = this.#commit(
      emptyBatch(),
      now,
      checkpointStep(this.#db, plan, { time: now, actor, segments: this.#segments }),
    );
    try {
      this.#db.pragma('incremental_vacuum');
    } catch {
      // Space is reused by later appends even when it cannot be returned now.
    }
    return { pruned: plan.count, throughSeq: plan.throughSeq, checkpoint: records[0] ?? null };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.readOnly) {
      try {
        this.#db.pragma('optimize');
      } catch {
        // Statistics are an optimisation; a locked or full database must still close.
      }
    }
    this.#checkpoints?.close();
    this.#anchor?.close();
    this.#db.close();
  }

  #writable(): void {
    if (this.#closed) throw new AuditWriteError(`audit store ${this.file} is closed`, 'CLOSED');
    if (this.readOnly) throw new AuditWriteError(`audit store ${this.file} is open read-only`, 'READONLY');
  }

  #setFault(fault: string | null): void {
    if (fault === this.#fault) return;
    this.#fault = fault;
    this.#onFault(fault);
  }

  #openAnchor(warn: (message: string) => void): AnchorWriter {
    const head = this.head();
    const state: AnchorState = {
      headSeq: head?.seq ?? 0,
      headHash: head?.hash ?? GENESIS_HASH,
      count: this.count(),
      written: this.#now(),
    };
    if (head && readAnchor(this.anchorFile).state === 'missing') {
      warn(
        `audit anchor ${this.anchorFile} was missing; recreated from the current head (seq ${head.seq}). ` +
          'Truncation or rollback before now cannot be detected locally.',
      );
    }
    return AnchorWriter.open(this.anchorFile, state);
  }

  /**
   * One write transaction (BEGIN IMMEDIATE, so concurrent writer processes serialize and the
   * chain is extended from the committed head). `extra` lets prune add its checkpoint.
   */
  #commit(
    events: EncodedBatch,
    now: number,
    extra?: (head: Head) => { events: StoredEvent[]; before: () => void },
    records = true,
  ): { records: AuditRecord[]; chained: boolean | null } {
    const batch: WriteBatch = { events, now, extra, anchor: null, records };
    let written: AuditRecord[];
    try {
      written = this.#write.immediate(batch);
      if (this.#ctxId === null && this.#pendingCtxId !== null) {
        this.#ctxId = this.#pendingCtxId;
        this.#contexts.remember(this.#ctxId, this.#ctxText);
      }
    } catch (error) {
      this.#segments?.abort();
      if (error instanceof AuditRetentionError) throw error;
      const failure = describeWriteFailure(error, this.file);
      this.#setFault(failure.message);
      throw failure;
    }
    this.#writeAnchor(batch.anchor);
    this.#checkpoints?.committed(batchSize(events));
    return { records: written, chained: batch.chained ?? null };
  }

  /** The body of the write transaction: chain the records onto the committed head. */
  #writeRecords(batch: WriteBatch): AuditRecord[] {
    const head = this.head() ?? { seq: 0, hash: GENESIS_HASH };
    const segments = this.#segments as SegmentWriter;
    const records = writeRecords(
      this.#insert as Inserts,
      segments,
      head,
      () => this.#first.get() as number | undefined,
      this.#writer(),
      batch,
    );
    if (batch.anchor) segments.seal(batch.anchor.headSeq);
    return records;
  }

  /** This writer's context row, added inside the write transaction the first time. */
  #writer(): WriterContext {
    let id = this.#ctxId;
    if (id === null) {
      this.#db.prepare('INSERT OR IGNORE INTO contexts (body) VALUES (?)').run(this.#ctxText);
      id = this.#db.prepare('SELECT id FROM contexts WHERE body = ?').pluck().get(this.#ctxText) as number;
      this.#pendingCtxId = id;
    }
    return { id, text: this.#ctxText, ctx: this.#ctx };
  }

  #writeAnchor(state: AnchorState | null): void {
    if (!state || !this.#anchor) return;
    try {
      this.#anchor.write(state);
      this.#setFault(null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'UNKNOWN';
      // The records are committed; only the truncation guard is behind. Loud, not fatal.
      this.#setFault(
        `audit anchor ${this.anchorFile} cannot be written (${code}); records are committed but ` +
          'truncation of the newest ones would go unnoticed. Check the disk and the file.',
      );
    }
  }
}
