// The body of the store's write transaction: chain events onto the committed head as compact
// records (compact.ts), insert them, and work out the anchor state to write once the
// transaction commits. No OCSF mapping runs here: a returned record builds its `ocsf` object
// on first access, from the same bytes that were stored.

import type Database from 'better-sqlite3';
import type { AuditKind, AuditOutcome, AuditRecord, OcsfEvent } from '../api/audit-types.ts';
import type { AnchorState } from './anchor.ts';
import { type ChainRow, rowHash, storable } from './chain.ts';
import { compactJson, type EventColumns, eventColumns, type StoredEvent } from './compact.ts';
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

/** An event encoded for the store: its columns and the canonical JSON of its compact form. */
export interface EncodedEvent {
  columns: EventColumns;
  body: string;
}

/**
 * Encode events before the write transaction: a malformed event (unknown type, a number
 * JSON cannot hold) throws here, as a TypeError, without holding the write lock or being
 * reported as a storage fault.
 */
export function encodeEvents(events: readonly StoredEvent[], now: number): EncodedEvent[] {
  const out: EncodedEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as StoredEvent;
    out[i] = { columns: eventColumns(event, now), body: compactJson(event) };
  }
  return out;
}

export interface WriteBatch {
  events: readonly EncodedEvent[];
  now: number;
  extra: ((head: Head) => { events: StoredEvent[]; before: () => void }) | undefined;
  anchor: AnchorState | null;
}

/** A record whose `ocsf` is mapped from its stored body when first read. */
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
  readonly #body: string;
  readonly #ctx: OcsfContext;
  readonly #logged: number;

  constructor(row: ChainRow, hash: string, ctx: OcsfContext) {
    this.seq = row.seq;
    this.time = row.time;
    this.kind = row.kind as AuditKind;
    this.sandboxId = row.sandbox_id;
    this.user = row.user;
    this.host = row.host;
    this.outcome = row.outcome as AuditOutcome | null;
    this.prevHash = row.prev_hash;
    this.hash = hash;
    this.#body = row.body;
    this.#ctx = ctx;
    this.#logged = row.logged ?? 0;
  }

  get ocsf(): OcsfEvent {
    this.#ocsf ??= mapCompactObject(this.#body, this.#ctx, this.seq, this.#logged);
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
  insert: Database.Statement,
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
  const all = more ? [...batch.events, ...encodeEvents(more.events, now)] : batch.events;
  const out: AuditRecord[] = new Array(all.length);
  let prevSeq = head.seq;
  let prevHash = head.hash;
  for (let i = 0; i < all.length; i++) {
    const { columns, body } = all[i] as EncodedEvent;
    const seq = prevSeq + 1;
    // Columns are hashed exactly as SQLite will return them (see storable()).
    const row: ChainRow = {
      seq,
      time: columns.time,
      kind: storable(columns.kind),
      sandbox_id: storable(columns.sandboxId),
      user: storable(columns.user),
      host: storable(columns.host),
      outcome: storable(columns.outcome),
      body,
      ctx: writer.text,
      logged: now,
      prev_hash: prevHash,
    };
    const hash = rowHash(row);
    insert.run(
      seq,
      row.time,
      row.kind,
      row.sandbox_id,
      row.user,
      row.host,
      row.outcome,
      row.body,
      prevHash,
      hash,
      writer.id,
      now,
    );
    segments.note(seq, row.time, row.sandbox_id, row.kind, row.host, row.outcome);
    out[i] = new WrittenRecord(row, hash, writer.ctx);
    prevSeq = seq;
    prevHash = hash;
  }
  const first = firstSeq();
  batch.anchor = {
    headSeq: prevSeq,
    headHash: prevHash,
    count: first === undefined ? 0 : prevSeq - first + 1,
    written: now,
  };
  return out;
}
