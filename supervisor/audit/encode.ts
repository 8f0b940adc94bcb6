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

import { ByteWriter } from './byte-writer.ts';
import { canonicalJson } from './canonical.ts';
import { storable } from './chain.ts';
import { eventColumns, FIELDS, NESTED, pick, type StoredEvent } from './compact.ts';

/**
 * Encoded events. `bytes` is valid up to `length`; per event OFFSETS numbers (start, body
 * end, middle start, tail start, end), REFS indexes into `strings` (kind, sandbox_id, user,
 * host, outcome; -1 for null) and TIMES numbers (time, logged). A batch crosses to other
 * threads: each distinct column string once, numbers in plain arrays (cloning thousands of
 * strings and boxed numbers per batch cost both threads more than encoding them).
 */
export interface EncodedBatch {
  bytes: Uint8Array;
  length: number;
  /** Arrays while events are added; views of one Float64Array once packed (packBatch). */
  offsets: number[] | Float64Array;
  refs: number[] | Float64Array;
  times: number[] | Float64Array;
  /** The distinct column strings of the batch. */
  strings: string[];
  /** Where each of `strings` is (built while encoding, rebuilt from `strings` if absent). */
  index?: Map<string, number>;
  /** The hashes, when the producer chained the batch onto the head it expects (chainHashes). */
  chain?: BatchChain;
}

/** A batch's hashes, computed ahead of the write onto the head seq and hash it expects. */
export interface BatchChain {
  baseSeq: number;
  baseHash: string;
  /**
   * Every record's hash, 64 hex digits each, in one string: it crosses to the writer thread
   * as one string instead of a thousand.
   */
  hashes: string;
}

export const OFFSETS = 5;
export const REFS = 5;
export const TIMES = 2;
/** Bytes of `,"event":` before the body in `inner`. */
export const BODY_AT = 9;

/** A batch with no events; `bytes` of room to start with (never from Node's shared pool). */
export function emptyBatch(bytes = 0): EncodedBatch {
  return {
    bytes: bytes > 0 ? Buffer.allocUnsafeSlow(bytes) : new Uint8Array(0),
    length: 0,
    offsets: [],
    refs: [],
    times: [],
    strings: [],
    index: new Map(),
  };
}

/** The indexed columns of event `i` of a batch, as they are stored. */
export interface BatchColumns {
  kind: string;
  time: number;
  sandboxId: string | null;
  user: string;
  host: string | null;
  outcome: string | null;
  logged: number;
}

export function columnsOf(batch: EncodedBatch, i: number): BatchColumns {
  const { refs, times, strings } = batch;
  const r = i * REFS;
  const text = (k: number) => {
    const at = refs[r + k] as number;
    return at < 0 ? null : (strings[at] as string);
  };
  return {
    kind: text(0) as string,
    time: times[i * TIMES] as number,
    sandboxId: text(1),
    user: text(2) as string,
    host: text(3),
    outcome: text(4),
    logged: times[i * TIMES + 1] as number,
  };
}

/** The index of `value` in the batch's strings (added when new); -1 for null. */
function ref(strings: string[], index: Map<string, number>, value: string | null): number {
  if (value === null) return -1;
  let at = index.get(value);
  if (at === undefined) {
    at = strings.length;
    strings.push(value);
    index.set(value, at);
  }
  return at;
}

export function batchSize(batch: EncodedBatch): number {
  return batch.offsets.length / OFFSETS;
}

/**
 * Before a batch crosses to another thread: its numbers (OFFSETS + REFS + TIMES a record)
 * move into one Float64Array (every value is an integer below 2^53), whose buffer is
 * transferred with the bytes instead of being cloned number by number at each hop (about
 * 0.4 µs a record to send and read a batch's arrays, against a copy here). A packed batch
 * takes no more events (encodeEvents unpacks it first).
 */
export function packBatch(batch: EncodedBatch): void {
  const { offsets, refs, times } = batch;
  if (!Array.isArray(offsets) || !Array.isArray(refs) || !Array.isArray(times)) return;
  const numbers = new Float64Array(offsets.length + refs.length + times.length);
  numbers.set(offsets, 0);
  numbers.set(refs, offsets.length);
  numbers.set(times, offsets.length + refs.length);
  batch.offsets = numbers.subarray(0, offsets.length);
  batch.refs = numbers.subarray(offsets.length, offsets.length + refs.length);
  batch.times = numbers.subarray(offsets.length + refs.length);
}

/** The buffers to transfer (not copy) when posting `batch` to another thread. */
export function transferList(batch: EncodedBatch): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  if (batch.bytes.byteLength > 0) out.push(batch.bytes.buffer as ArrayBuffer);
  if (!Array.isArray(batch.offsets) && batch.offsets.buffer.byteLength > 0)
    out.push(batch.offsets.buffer as ArrayBuffer);
  return out;
}

/** A top-level field of an event type: its key, the bytes before its value, its nested fields. */
interface Field {
  key: string;
  first: Uint8Array;
  rest: Uint8Array;
  inner: readonly string[] | undefined;
}

// Made once per event type: the loop below then reads no table by key but the event itself.
const PLANS = new Map<string, readonly Field[]>();
function planOf(type: string): readonly Field[] {
  let plan = PLANS.get(type);
  if (plan) return plan;
  const keys = Object.hasOwn(FIELDS, type) ? FIELDS[type as StoredEvent['type']] : undefined;
  if (!keys) throw new TypeError(`no audit record shape for event type ${type}`);
  plan = keys.map((key) => ({
    key,
    first: Buffer.from(`{${JSON.stringify(key)}:`),
    rest: Buffer.from(`,${JSON.stringify(key)}:`),
    inner: NESTED[key],
  }));
  PLANS.set(type, plan);
  return plan;
}

/** The canonical JSON of compactEvent(event), written. */
function writeBody(w: ByteWriter, event: StoredEvent): void {
  const plan = planOf(event.type);
  const source = event as unknown as Record<string, unknown>;
  let first = true;
  for (let f = 0; f < plan.length; f++) {
    const field = plan[f] as Field;
    const value = source[field.key];
    if (value === undefined) continue;
    w.bytes(first ? field.first : field.rest);
    first = false;
    writeValue(
      w,
      field.inner && value !== null && typeof value === 'object'
        ? pick(value as Record<string, unknown>, field.inner, false)
        : value,
      0,
    );
  }
  w.ascii(first ? '{}' : '}');
}

/** canonicalJsonReference(value), written (canonical.ts has the definition). */
function writeValue(w: ByteWriter, value: unknown, depth: number): void {
  if (value === null) return w.ascii('null');
  switch (typeof value) {
    case 'string':
      return w.string(value);
    case 'number':
      return w.number(value);
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
  const keys = sortedKeys(record);
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

/** The keys of `record` in code-unit order (a few by insertion: Array.sort costs more there). */
function sortedKeys(record: Record<string, unknown>): string[] {
  const keys = Object.keys(record);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    for (; j >= 0 && (keys[j] as string) > key; j--) keys[j + 1] = keys[j] as string;
    keys[j + 1] = key;
  }
  return keys;
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
  // A new batch starts at the size the last ones needed a record: growing by doubling copied
  // the bytes about once more (a tenth of the encoding's CPU for batches of 1,000).
  if (into.length === 0 && into.bytes.length === 0 && events.length > 1)
    into.bytes = Buffer.allocUnsafeSlow(Math.max(4096, Math.ceil(events.length * bytesPerEvent * 1.25)));
  if (!Array.isArray(into.offsets)) {
    into.offsets = [...into.offsets];
    into.refs = [...into.refs];
    into.times = [...into.times];
  }
  const w = new ByteWriter(into.bytes, into.length);
  const { strings } = into;
  const offsets = into.offsets as number[];
  const refs = into.refs as number[];
  const times = into.times as number[];
  let index = into.index;
  if (index === undefined) {
    index = new Map(strings.map((value, at) => [value, at]));
    into.index = index;
  }
  const offsetsBefore = offsets.length;
  const refsBefore = refs.length;
  const timesBefore = times.length;
  const stringsBefore = strings.length;
  try {
    for (let e = 0; e < events.length; e++) {
      const event = events[e] as StoredEvent;
      const c = eventColumns(event, logged);
      // Column strings are hashed exactly as SQLite will return them (see storable()).
      const kind = storable(c.kind);
      const sandboxId = storable(c.sandboxId);
      const user = storable(c.user);
      const host = storable(c.host);
      const outcome = storable(c.outcome);
      const start = w.at;
      w.bytes(EVENT);
      writeBody(w, event);
      const bodyEnd = w.at;
      w.bytes(HOST);
      w.string(host);
      w.bytes(KIND);
      w.string(kind);
      w.bytes(LOGGED);
      w.number(logged);
      w.bytes(OUTCOME);
      w.string(outcome);
      w.bytes(PREV_HASH);
      const middle = w.at;
      w.bytes(SANDBOX_ID);
      w.string(sandboxId);
      w.bytes(SEQ);
      const tail = w.at;
      w.bytes(TIME);
      w.number(c.time);
      w.bytes(USER);
      w.string(user);
      w.ascii('}');
      offsets.push(start, bodyEnd, middle, tail, w.at);
      refs.push(
        ref(strings, index, kind),
        ref(strings, index, sandboxId),
        ref(strings, index, user),
        ref(strings, index, host),
        ref(strings, index, outcome),
      );
      times.push(c.time, logged);
    }
  } catch (error) {
    offsets.length = offsetsBefore;
    refs.length = refsBefore;
    times.length = timesBefore;
    for (let at = stringsBefore; at < strings.length; at++) index.delete(strings[at] as string);
    strings.length = stringsBefore;
    throw error;
  }
  into.bytes = w.buf;
  into.length = w.at;
  if (events.length > 1) bytesPerEvent = Math.min(MAX_HINT, Math.max(256, Math.ceil(w.at / events.length)));
  return into;
}

/** Bytes a record took in the last batch encoded on this thread (a size hint, bounded). */
let bytesPerEvent = 1024;
const MAX_HINT = 16 * 1024;

// The row's own keys, around the body (canonicalRow order).
const EVENT = Buffer.from(',"event":');
const HOST = Buffer.from(',"host":');
const KIND = Buffer.from(',"kind":');
const LOGGED = Buffer.from(',"logged":');
const OUTCOME = Buffer.from(',"outcome":');
const PREV_HASH = Buffer.from(',"prev_hash":"');
const SANDBOX_ID = Buffer.from('","sandbox_id":');
const SEQ = Buffer.from(',"seq":');
const TIME = Buffer.from(',"time":');
const USER = Buffer.from(',"user":');

/** The compact event JSON of event `i` (for records handed back to the caller). */
export function bodyOf(batch: EncodedBatch, i: number): string {
  const o = i * OFFSETS;
  return Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.length).toString(
    'utf8',
    (batch.offsets[o] as number) + BODY_AT,
    batch.offsets[o + 1] as number,
  );
}
