// The body of the store's write transaction: chain events onto the committed head as compact
// records (compact.ts), insert them, and work out the anchor state to write once the
// transaction commits. No OCSF mapping runs here: a returned record builds its `ocsf` object
// on first access, from the same bytes that were stored.

import type Database from 'better-sqlite3';
import type { AuditKind, AuditOutcome, AuditRecord, OcsfEvent } from '../api/audit-types.ts';
import type { AnchorState } from './anchor.ts';
import { chainHashes } from './batch-chain.ts';
import type { ChainRow } from './chain.ts';
import type { StoredEvent } from './compact.ts';
import {
  BODY_AT,
  batchSize,
  bodyOf,
  type EncodedBatch,
  encodeEvents,
  OFFSETS,
  REFS,
  TIMES,
} from './encode.ts';
import type { OcsfContext } from './ocsf-shared.ts';
import { mapCompactObject } from './records.ts';
import type { SegmentWriter } from './segments.ts';

export interface Head {
  seq: number;
  hash: string;
}

/** The writer's context row: its id, its stored text and the object the mapper takes. */
export interface WriterContext {
  id: number;
  text: string;
  ctx: OcsfContext;
}

export interface WriteBatch {
  events: EncodedBatch;
  now: number;
  extra: ((head: Head) => { events: StoredEvent[]; before: () => void }) | undefined;
  anchor: AnchorState | null;
  /** Build the returned records (false: the caller only needs the commit). */
  records: boolean;
  /** Set by the write: whether the batch's own chain was used (null: it had none). */
  chained?: boolean | null;
}

/** INSERT statements: one row, and ROWS_PER_INSERT rows at once (fewer steps per record). */
export interface Inserts {
  one: Database.Statement;
  many: Database.Statement;
}

export const ROWS_PER_INSERT = 32;

/** Hex digits of a SHA-256 hash. */
const HASH_DIGITS = 64;

/** The INSERT statements of a writable connection. */
export function prepareInserts(db: Database.Database): Inserts {
  const columns = 'seq, time, kind, sandbox_id, user, host, outcome, body, prev_hash, hash, ctx, logged';
  // The compact event arrives as UTF-8 bytes (encode.ts) and is stored as the text it is.
  const values = (rows: number) =>
    Array(rows).fill('(?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?)').join(', ');
  return {
    one: db.prepare(`INSERT INTO records (${columns}) VALUES ${values(1)}`),
    many: db.prepare(`INSERT INTO records (${columns}) VALUES ${values(ROWS_PER_INSERT)}`),
  };
}

/**
 * A record whose `ocsf` is mapped from its stored body when first read. The body is decoded
 * from the batch's bytes only then: a caller of appendBatch that keeps only the seq and hash
 * (the bench, the bus) never pays for a string per record.
 */
class WrittenRecord implements AuditRecord {
  readonly seq: number;
  readonly time: number;
  readonly kind: AuditKind;
  readonly sandboxId: string | null;
  readonly user: string;
  readonly host: string | null;
  readonly outcome: AuditOutcome | null;
  readonly prevHash: string;
  readonly hash: string;
  #ocsf: OcsfEvent | undefined;
  readonly #batch: EncodedBatch;
  readonly #index: number;
  readonly #ctx: OcsfContext;
  readonly #logged: number;

  constructor(
    row: Omit<ChainRow, 'body' | 'ctx'>,
    hash: string,
    batch: EncodedBatch,
    index: number,
    ctx: OcsfContext,
  ) {
    this.seq = row.seq;
    this.time = row.time;
    this.kind = row.kind as AuditKind;
    this.sandboxId = row.sandbox_id;
    this.user = row.user;
    this.host = row.host;
    this.outcome = row.outcome as AuditOutcome | null;
    this.prevHash = row.prev_hash;
    this.hash = hash;
    this.#batch = batch;
    this.#index = index;
    this.#ctx = ctx;
    this.#logged = row.logged ?? 0;
  }

  get ocsf(): OcsfEvent {
    this.#ocsf ??= mapCompactObject(bodyOf(this.#batch, this.#index), this.#ctx, this, this.#logged);
    return this.#ocsf;
  }

  set ocsf(value: OcsfEvent) {
    this.#ocsf = value;
  }

  toJSON(): AuditRecord {
    const { seq, time, kind, sandboxId, user, host, outcome, ocsf, prevHash, hash } = this;
    return { seq, time, kind, sandboxId, user, host, outcome, ocsf, prevHash, hash };
  }
}

/**
 * Insert `batch` after `head` (the committed head, or genesis); `firstSeq` reads the oldest
 * seq once the rows are in. Sets `batch.anchor`.
 */
export function writeRecords(
  insert: Inserts,
  segments: SegmentWriter,
  head: Head,
  firstSeq: () => number | undefined,
  writer: WriterContext,
  batch: WriteBatch,
): AuditRecord[] {
  const { now } = batch;
  const more = batch.extra?.(head);
  // Prune deletes before it appends its checkpoint, so the pages it frees can hold the
  // checkpoint even when the database is full.
  more?.before();
  const events = more ? encodeEvents(more.events, now, copy(batch.events)) : batch.events;
  const { offsets, refs, times, strings } = events;
  const text = (at: number) => (at < 0 ? null : (strings[at] as string));
  const { buffer, byteOffset } = events.bytes;
  const out: AuditRecord[] = [];
  const params: Array<string | number | null | Uint8Array> = [];
  // The producer's hashes when they were chained onto this very head; otherwise (another
  // writer got in first, a batch before failed, prune added its checkpoint) hashed here.
  const chain = events.chain;
  const chained =
    chain !== undefined &&
    chain.baseSeq === head.seq &&
    chain.baseHash === head.hash &&
    chain.hashes.length === HASH_DIGITS * batchSize(events);
  const joined = chained ? chain.hashes : '';
  const hashes = chained ? [] : chainHashes(events, head, writer.text);
  batch.chained = chain === undefined ? null : chained;
  let prevSeq = head.seq;
  let prevHash = head.hash;
  for (let i = 0, o = 0, r = 0, t = 0; o < offsets.length; i++, o += OFFSETS, r += REFS, t += TIMES) {
    const seq = prevSeq + 1;
    const start = offsets[o] as number;
    const hash = chained ? joined.slice(i * HASH_DIGITS, (i + 1) * HASH_DIGITS) : (hashes[i] as string);
    const time = times[t] as number;
    const kind = strings[refs[r] as number] as string;
    const sandboxId = text(refs[r + 1] as number);
    const user = strings[refs[r + 2] as number] as string;
    const host = text(refs[r + 3] as number);
    const outcome = text(refs[r + 4] as number);
    const logged = times[t + 1] as number;
    // A plain view binds as a blob like a Buffer, and costs a third of Buffer#subarray.
    const body = new Uint8Array(
      buffer,
      byteOffset + start + BODY_AT,
      (offsets[o + 1] as number) - start - BODY_AT,
    );
    params.push(seq, time, kind, sandboxId, user, host, outcome, body, prevHash, hash, writer.id, logged);
    if (params.length === ROWS_PER_INSERT * 12) {
      // Spread, not the array: better-sqlite3 reads an array's elements one by one through
      // V8's generic property lookup, arguments directly (1.55 -> 1.24 µs a row of 12 values).
      insert.many.run(...params);
      params.length = 0;
    }
    segments.note(seq, time, sandboxId, kind, host, outcome);
    if (batch.records) {
      const row = {
        seq,
        time,
        kind,
        sandbox_id: sandboxId,
        user,
        host,
        outcome,
        logged,
        prev_hash: prevHash,
      };
      out.push(new WrittenRecord(row, hash, events, i, writer.ctx));
    }
    prevSeq = seq;
    prevHash = hash;
  }
  for (let p = 0; p < params.length; p += 12) insert.one.run(...params.slice(p, p + 12));
  const first = firstSeq();
  batch.anchor = {
    headSeq: prevSeq,
    headHash: prevHash,
    count: first === undefined ? 0 : prevSeq - first + 1,
    written: now,
  };
  return out;
}

function copy(batch: EncodedBatch): EncodedBatch {
  return {
    bytes: batch.bytes.slice(0, batch.length),
    length: batch.length,
    offsets: [...batch.offsets],
    refs: [...batch.refs],
    times: [...batch.times],
    strings: [...batch.strings],
  };
}
