// Events encoded for the store as bytes: what the append path hashes and stores, written
// straight into one growing buffer per batch instead of being built as JavaScript strings.
// Strings built piece by piece are ropes: every later reader (hashing, posting to the writer
// thread, binding to SQLite) flattened them again and the garbage dominated the profile.
// A batch is posted to the daemon's writer thread by transferring its buffer (no copy).
//
// Per event the buffer holds, contiguously, the canonical row of a schema 2 record (chain.ts
// canonicalRow) cut around what only the writer knows: `inner` (`,"event":BODY,…,
// "prev_hash":"`), `middle` (`","sandbox_id":…,"seq":`) and `tail` (`,"time":…,"user":…}`).
// BODY is the canonical JSON of the compact event (compact.ts compactEvent), byte for byte as
// canonical.ts defines it; the tests compare them.

import { hash as digest } from 'node:crypto';
import { canonicalJson } from './canonical.ts';
import { NEEDS_ESCAPE, storable } from './chain.ts';
import { eventColumns, FIELDS, NESTED, pick, type StoredEvent } from './compact.ts';

/**
 * Encoded events. `bytes` is valid up to `length`; per event OFFSETS numbers (start, body
 * end, middle start, tail start, end) and COLUMNS values (kind, time, sandbox_id, user,
 * host, outcome, logged).
 */
export interface EncodedBatch {
  bytes: Uint8Array;
  length: number;
  offsets: number[];
  columns: Array<string | number | null>;
  /** The hashes, when the producer chained the batch onto the head it expects (chainHashes). */
  chain?: BatchChain;
}

/** A batch's hashes, computed ahead of the write onto the head seq and hash it expects. */
export interface BatchChain {
  baseSeq: number;
  baseHash: string;
  hashes: string[];
}

export const OFFSETS = 5;
export const COLUMNS = 7;
/** Bytes of `,"event":` before the body in `inner`. */
export const BODY_AT = 9;

export function emptyBatch(): EncodedBatch {
  return { bytes: new Uint8Array(0), length: 0, offsets: [], columns: [] };
}

export function batchSize(batch: EncodedBatch): number {
  return batch.offsets.length / OFFSETS;
}

/** Appends to a batch's buffer, growing it as needed. */
class Writer {
  buf: Buffer;
  at: number;

  constructor(batch: EncodedBatch) {
    this.buf = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    this.at = batch.length;
  }

  room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    // Never from Node's shared pool: a batch's buffer is transferred to the writer thread.
    const next = Buffer.allocUnsafeSlow(Math.max(4096, (this.at + bytes) * 2));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /** ASCII text (keys, numbers, punctuation): byte by byte, cheaper than a call into C++. */
  ascii(text: string): void {
    this.room(text.length);
    const { buf } = this;
    let at = this.at;
    for (let i = 0; i < text.length; i++) buf[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** Any string, as UTF-8. */
  utf8(text: string): void {
    this.room(text.length * 3);
    this.at += (this.buf as unknown as Utf8Writable).utf8Write(text, this.at);
  }

  /** A JSON string (or null), as jsonString writes it. */
  string(value: string | null): void {
    if (value === null) return this.ascii('null');
    const length = value.length;
    this.room(length * 3 + 2);
    const { buf } = this;
    const start = this.at;
    if (length <= SHORT) {
      // Short strings byte by byte, checking on the way for what the slow path handles.
      let at = start;
      buf[at++] = 0x22;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0x80) break;
        buf[at++] = code;
      }
      if (i === length) {
        buf[at++] = 0x22;
        this.at = at;
        return;
      }
    }
    if (NEEDS_ESCAPE.test(value)) {
      this.at = start;
      return this.utf8(JSON.stringify(value));
    }
    let at = start;
    buf[at++] = 0x22;
    at += (buf as unknown as Utf8Writable).utf8Write(value, at);
    buf[at++] = 0x22;
    this.at = at;
  }
}

/** Strings up to this length are copied in JavaScript; longer ones by Buffer's UTF-8 writer. */
const SHORT = 24;

/** Buffer's own UTF-8 writer (what buf.write(s, at, 'utf8') calls, without its argument checks). */
interface Utf8Writable {
  utf8Write(text: string, offset: number): number;
}

// `{"key":` and `,"key":` of every field, made once.
const PREFIXES = new Map<string, [string, string]>();
function prefixes(key: string): [string, string] {
  let pair = PREFIXES.get(key);
  if (!pair) {
    pair = [`{${JSON.stringify(key)}:`, `,${JSON.stringify(key)}:`];
    PREFIXES.set(key, pair);
  }
  return pair;
}

/** The canonical JSON of compactEvent(event), written. */
function writeBody(w: Writer, event: StoredEvent): void {
  const keys = FIELDS[event.type];
  if (!keys) throw new TypeError(`no audit record shape for event type ${(event as { type: string }).type}`);
  const source = event as unknown as Record<string, unknown>;
  let first = true;
  for (const key of keys) {
    const value = source[key];
    if (value === undefined) continue;
    w.ascii(prefixes(key)[first ? 0 : 1]);
    first = false;
    const inner = NESTED[key];
    writeValue(
      w,
      inner && value !== null && typeof value === 'object'
        ? pick(value as Record<string, unknown>, inner, false)
        : value,
      0,
    );
  }
  w.ascii(first ? '{}' : '}');
}

/** canonicalJsonReference(value), written (canonical.ts has the definition). */
function writeValue(w: Writer, value: unknown, depth: number): void {
  if (value === null) return w.ascii('null');
  switch (typeof value) {
    case 'string':
      return w.string(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return w.ascii(JSON.stringify(value));
    case 'boolean':
      return w.ascii(value ? 'true' : 'false');
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  if (depth > 32) return w.utf8(canonicalJson(value)); // deep: the general writer, same text
  if (Array.isArray(value)) {
    w.ascii('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) w.ascii(',');
      const item: unknown = value[i];
      if (item === undefined) w.ascii('null');
      else writeValue(w, item, depth + 1);
    }
    return w.ascii(']');
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      keys.sort();
      break;
    }
  }
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    w.ascii(first ? '{' : ',');
    first = false;
    w.string(key);
    w.ascii(':');
    writeValue(w, member, depth + 1);
  }
  w.ascii(first ? '{}' : '}');
}

/**
 * Encode events (on any thread) and append them to `into`: a malformed event (unknown type,
 * a number JSON cannot hold) throws a TypeError here, before any write lock, and leaves
 * `into` as it was. `logged` is when Warden logged them (OCSF metadata.logged_time).
 */
export function encodeEvents(
  events: readonly StoredEvent[],
  logged: number,
  into: EncodedBatch = emptyBatch(),
): EncodedBatch {
  const w = new Writer(into);
  const offsets: number[] = [];
  const columns: Array<string | number | null> = [];
  for (const event of events) {
    const c = eventColumns(event, logged);
    // Column strings are hashed exactly as SQLite will return them (see storable()).
    const kind = storable(c.kind);
    const sandboxId = storable(c.sandboxId);
    const user = storable(c.user);
    const host = storable(c.host);
    const outcome = storable(c.outcome);
    const start = w.at;
    w.ascii(',"event":');
    writeBody(w, event);
    const bodyEnd = w.at;
    w.ascii(',"host":');
    w.string(host);
    w.ascii(',"kind":');
    w.string(kind);
    w.ascii(`,"logged":${logged},"outcome":`);
    w.string(outcome);
    w.ascii(',"prev_hash":"');
    const middle = w.at;
    w.ascii('","sandbox_id":');
    w.string(sandboxId);
    w.ascii(',"seq":');
    const tail = w.at;
    w.ascii(`,"time":${c.time},"user":`);
    w.string(user);
    w.ascii('}');
    offsets.push(start, bodyEnd, middle, tail, w.at);
    columns.push(kind, c.time, sandboxId, user, host, outcome, logged);
  }
  into.bytes = w.buf;
  into.length = w.at;
  for (const o of offsets) into.offsets.push(o);
  for (const c of columns) into.columns.push(c);
  return into;
}

/** The compact event JSON of event `i` (for records handed back to the caller). */
export function bodyOf(batch: EncodedBatch, i: number): string {
  const o = i * OFFSETS;
  return Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.length).toString(
    'utf8',
    (batch.offsets[o] as number) + BODY_AT,
    batch.offsets[o + 1] as number,
  );
}

const CTX_HEADS = new Map<string, Buffer>();

/**
 * The hash of every event of `batch` chained onto `head`: SHA-256 over prev_hash followed by
 * the canonical row, which is `{"ctx":` + the writer's context text + inner + prev_hash +
 * middle + seq + tail (chain.ts canonicalRow, assembled from the encoded bytes).
 */
export function chainHashes(
  batch: EncodedBatch,
  head: { seq: number; hash: string },
  ctxText: string,
): string[] {
  let ctxHead = CTX_HEADS.get(ctxText);
  if (!ctxHead) {
    ctxHead = Buffer.from(`{"ctx":${ctxText}`);
    if (CTX_HEADS.size < 16) CTX_HEADS.set(ctxText, ctxHead);
  }
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.length);
  const { offsets } = batch;
  const hashes: string[] = new Array(offsets.length / OFFSETS);
  let scratch = Buffer.allocUnsafe(8192);
  let prevHash = head.hash;
  for (let i = 0, o = 0; o < offsets.length; i++, o += OFFSETS) {
    const start = offsets[o] as number;
    const middle = offsets[o + 2] as number;
    const tail = offsets[o + 3] as number;
    const end = offsets[o + 4] as number;
    const need = end - start + ctxHead.length + 2 * prevHash.length + 20;
    if (scratch.length < need) scratch = Buffer.allocUnsafe(2 * need);
    let n = scratch.write(prevHash, 0, 'latin1');
    n += ctxHead.copy(scratch, n);
    n += bytes.copy(scratch, n, start, middle);
    n += scratch.write(prevHash, n, 'latin1');
    n += bytes.copy(scratch, n, middle, tail);
    n += scratch.write(String(head.seq + i + 1), n, 'latin1');
    n += bytes.copy(scratch, n, tail, end);
    prevHash = digest('sha256', scratch.subarray(0, n), 'hex');
    hashes[i] = prevHash;
  }
  return hashes;
}
