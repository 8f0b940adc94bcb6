// OTLP/HTTP logs, JSON encoding (ExportLogsServiceRequest), written by hand: one
// ResourceLogs per device (its host and Warden version), one ScopeLogs, one LogRecord per
// audit record with the OCSF object as a kvlist body. 64-bit integers are decimal strings,
// as the OTLP JSON mapping requires. The mapping is in supervisor/hub/exports/README.md.

import type { OcsfEvent } from '../../api/audit-types.ts';
import type { HubRecord } from '../../api/hub.ts';
import { type Fragment, fragment, JsonBytes } from './json-bytes.ts';
import { ocsfOf, ocsfRawOf } from './ocsf-of.ts';

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** The resource a device's records are sent under. */
export interface OtlpDevice {
  id: string;
  machine: string;
  version: string;
}

/** OCSF severity_id → OTLP severityNumber (SeverityNumber enum) and its text. */
const SEVERITY: Record<number, [number, string]> = {
  0: [0, 'Unknown'],
  1: [9, 'Informational'],
  2: [10, 'Low'],
  3: [13, 'Medium'],
  4: [17, 'High'],
  5: [21, 'Critical'],
  6: [22, 'Fatal'],
  99: [0, 'Other'],
};

export function otlpSeverity(ocsf: OcsfEvent): { severityNumber: number; severityText: string } {
  const id = typeof ocsf.severity_id === 'number' ? ocsf.severity_id : 0;
  const [severityNumber, text] = SEVERITY[id] ?? [0, 'Unknown'];
  return { severityNumber, severityText: typeof ocsf.severity === 'string' ? ocsf.severity : text };
}

/** A JSON value as an OTLP AnyValue (integers as intValue, other numbers as doubleValue). */
export function anyValue(v: unknown, depth = 0): AnyValue {
  if (depth > 32) return { stringValue: JSON.stringify(v) };
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map((x) => anyValue(x, depth + 1)) } };
  if (typeof v === 'object')
    return { kvlistValue: { values: keyValues(v as Record<string, unknown>, depth + 1) } };
  return { stringValue: String(v) };
}

// `{"key":"<k>","value":` for the keys seen so far: OCSF objects reuse a few hundred names.
const keyPrefixes = new Map<string, Fragment | null>();

function writeKey(w: JsonBytes, key: string): void {
  let p = keyPrefixes.get(key);
  if (p === undefined) {
    const text = `{"key":${JSON.stringify(key)},"value":`;
    p = /^[\x20-\x7e]*$/.test(text) ? fragment(text) : null;
    if (keyPrefixes.size < 4096) keyPrefixes.set(key, p);
  }
  if (p) return w.raw(p);
  w.raw(F.key);
  w.string(key);
  w.raw(F.value);
}

const F = {
  key: fragment('{"key":'),
  value: fragment(',"value":'),
  str: fragment('{"stringValue":'),
  int: fragment('{"intValue":"'),
  intEnd: fragment('"}'),
  double: fragment('{"doubleValue":'),
  true: fragment('{"boolValue":true}'),
  false: fragment('{"boolValue":false}'),
  empty: fragment('{}'),
  array: fragment('{"arrayValue":{"values":['),
  kvlist: fragment('{"kvlistValue":{"values":['),
  listEnd: fragment(']}}'),
};

/** The JSON of anyValue(v), written into `w` (the export's hot path: no object tree, no string). */
export function writeAnyValue(w: JsonBytes, v: unknown, depth = 0): void {
  if (depth > 32) {
    w.raw(F.str);
    w.string(JSON.stringify(v) ?? 'null');
    return w.byte(0x7d);
  }
  if (v === null || v === undefined) return w.raw(F.empty);
  switch (typeof v) {
    case 'string':
      w.raw(F.str);
      w.string(v);
      return w.byte(0x7d);
    case 'boolean':
      return w.raw(v ? F.true : F.false);
    case 'number':
      if (Number.isSafeInteger(v)) {
        w.raw(F.int);
        w.ascii(String(v));
        return w.raw(F.intEnd);
      }
      w.raw(F.double);
      if (Number.isFinite(v)) w.ascii(String(v));
      else w.string(String(v));
      return w.byte(0x7d);
    case 'object':
      if (depth <= SHARED_DEPTH && Object.isFrozen(v)) return writeShared(w, v, depth);
      return writeObject(w, v, depth);
    default:
      w.raw(F.str);
      w.string(String(v));
      return w.byte(0x7d);
  }
}

// Objects the mapper shares between records (the device, the product, an actor, a sandbox:
// deep-frozen, see ocsf-shared.ts) are written once; later records copy the bytes. Only
// shallow ones near the top, so that the depth limit cannot apply inside them.
const SHARED_DEPTH = 8;
const sharedBytes = new WeakMap<object, Fragment>();

function writeShared(w: JsonBytes, v: object, depth: number): void {
  const known = sharedBytes.get(v);
  if (known) return w.raw(known);
  const start = w.length;
  const frozen = deepFrozen(v, SHARED_DEPTH);
  if (frozen) {
    // Written as if unshared, then kept (a copy: the writer's buffer moves on).
    writeObject(w, v, depth);
    sharedBytes.set(v, Buffer.from(w.bytes().subarray(start)));
  } else writeObject(w, v, depth);
}

function writeObject(w: JsonBytes, v: object, depth: number): void {
  if (Array.isArray(v)) {
    w.raw(F.array);
    for (let i = 0; i < v.length; i++) {
      if (i) w.byte(0x2c);
      writeAnyValue(w, v[i], depth + 1);
    }
    return w.raw(F.listEnd);
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  w.raw(F.kvlist);
  const plan = keys.length && depth < 32 ? planOf(keys) : null;
  // Values in the keys' order: one builtin walk instead of a keyed load each (megamorphic).
  if (plan) return writeMembers(w, Object.values(o), plan, depth);
  writeMembersSlow(w, o, keys, depth);
  w.raw(F.listEnd);
}

/** Frozen all the way down, and at most `levels` deep (its bytes then do not depend on where it is). */
function deepFrozen(v: unknown, levels: number): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (levels === 0 || !Object.isFrozen(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  for (const member of Object.values(v)) if (!deepFrozen(member, levels - 1)) return false;
  return true;
}

// An object's members as written: keys in canonical (code-unit) order, as canonicalJson writes
// them; undefined members left out. Objects of the same shape (the mapper builds few) share a
// plan: the order and each member's leading text, with the common value types' opening joined
// to it and the member before's closing text and comma joined before it, so that a member
// costs one copy of prepared bytes besides its value.
interface Plan {
  keys: readonly string[];
  /** keys' indexes in code-unit order. */
  order: Int32Array;
  /**
   * By what came before (LEAD_*), then by sorted position: `{"key":"<k>","value":`, the same
   * followed by a string's opening (`{"stringValue":`) or an integer's (`{"intValue":"`).
   */
  member: Fragment[][];
  string: Fragment[][];
  int: Fragment[][];
}

// What a member's leading text starts with: nothing (the first), the closing of a string or
// integer member before it (`}}` after its closing quote) and a comma, or that of another (`}`).
const LEAD_FIRST = 0;
const LEAD_SCALAR = 1;
const LEAD_OTHER = 2;
const LEADS = ['', '}},', '},'];
/** The kvlist's end by what came last: `]}}` after nothing, else the last member's closing first. */
const LIST_END = [fragment(']}}'), fragment('}}]}}'), fragment('}]}}')];

const plans = new Map<string, Plan[]>();
let planCount = 0;
const MAX_PLANS = 4096;

function planOf(keys: readonly string[]): Plan | null {
  const list = plans.get(keys[0]!);
  if (list)
    for (const p of list) {
      const pk = p.keys;
      if (pk.length !== keys.length) continue;
      let same = true;
      for (let i = 0; i < pk.length; i++)
        if (pk[i] !== keys[i]) {
          same = false;
          break;
        }
      if (same) return p;
    }
  if (planCount >= MAX_PLANS) return null;
  const order = Int32Array.from(keys.map((_, i) => i)).sort((a, b) =>
    keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0,
  );
  const member: Fragment[][] = [[], [], []];
  const string: Fragment[][] = [[], [], []];
  const int: Fragment[][] = [[], [], []];
  for (const i of order) {
    const text = `{"key":${JSON.stringify(keys[i])},"value":`;
    // Keys that are not printable ASCII go the slow way (their bytes are not a fragment).
    if (!/^[\x20-\x7e]*$/.test(text)) return null;
    for (let lead = 0; lead < LEADS.length; lead++) {
      member[lead]!.push(fragment(`${LEADS[lead]}${text}`));
      string[lead]!.push(fragment(`${LEADS[lead]}${text}{"stringValue":`));
      int[lead]!.push(fragment(`${LEADS[lead]}${text}{"intValue":"`));
    }
  }
  const plan: Plan = { keys: [...keys], order, member, string, int };
  plans.set(keys[0]!, [...(list ?? []), plan]);
  planCount++;
  return plan;
}

/** The members (`values` in the plan's keys' order) and the kvlist's end (`F.kvlist` is written). */
function writeMembers(w: JsonBytes, values: readonly unknown[], plan: Plan, depth: number): void {
  const order = plan.order;
  let lead = LEAD_FIRST;
  for (let j = 0; j < order.length; j++) {
    const member = values[order[j]!];
    if (member === undefined) continue;
    if (typeof member === 'string') {
      w.raw(plan.string[lead]![j]!);
      w.string(member);
      lead = LEAD_SCALAR;
    } else if (typeof member === 'number' && Number.isSafeInteger(member)) {
      w.raw(plan.int[lead]![j]!);
      w.ascii(String(member));
      w.byte(0x22);
      lead = LEAD_SCALAR;
    } else {
      w.raw(plan.member[lead]![j]!);
      writeAnyValue(w, member, depth + 1);
      lead = LEAD_OTHER;
    }
  }
  w.raw(LIST_END[lead]!);
}

function writeMembersSlow(w: JsonBytes, o: Record<string, unknown>, keys: string[], depth: number): void {
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! >= keys[i]!) {
      keys.sort();
      break;
    }
  }
  let first = true;
  for (const key of keys) {
    const member = o[key];
    if (member === undefined) continue;
    if (!first) w.byte(0x2c);
    first = false;
    writeKey(w, key);
    writeAnyValue(w, member, depth + 1);
    w.byte(0x7d);
  }
}

/** The JSON text of anyValue(v). */
export function anyValueJson(v: unknown): string {
  const w = new JsonBytes(1024);
  writeAnyValue(w, v);
  return w.toString();
}

function keyValues(o: Record<string, unknown>, depth = 0): KeyValue[] {
  return Object.entries(o).map(([key, value]) => ({ key, value: anyValue(value, depth) }));
}

const str = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: String(value) } });
const nanos = (ms: number): string =>
  Number.isSafeInteger(ms) && ms > 0 ? `${ms}000000` : `${BigInt(Math.trunc(ms)) * 1_000_000n}`;

export function encodeLogRecord(device: OtlpDevice, r: HubRecord, observed: number): Record<string, unknown> {
  const ocsf = ocsfOf(r);
  const attributes: KeyValue[] = [
    str('warden.device.id', device.id),
    int('warden.seq', r.seq),
    str('warden.hash', r.hash),
    str('warden.prev_hash', r.prev_hash),
    str('warden.kind', r.kind),
    int('ocsf.class_uid', ocsf.class_uid),
    int('ocsf.type_uid', ocsf.type_uid),
  ];
  if (r.sandbox_id !== null) attributes.push(str('warden.sandbox.id', r.sandbox_id));
  if (r.outcome !== null) attributes.push(str('warden.outcome', r.outcome));
  return {
    timeUnixNano: nanos(r.time),
    observedTimeUnixNano: nanos(observed),
    ...otlpSeverity(ocsf),
    body: anyValue(ocsf),
    attributes,
    eventName: `ocsf.${ocsf.class_uid}`,
  };
}

function attr(w: JsonBytes, f: Fragment, value: string): void {
  w.raw(f);
  w.string(value);
  w.raw(A.end);
}

// The LogRecord's fixed text between its values, in the order encodeLogRecord builds it.
const A = {
  time: fragment('{"timeUnixNano":"'),
  observed: fragment('","observedTimeUnixNano":"'),
  severity: fragment('","severityNumber":'),
  severityText: fragment(',"severityText":'),
  body: fragment(',"body":'),
  device: fragment(',"attributes":[{"key":"warden.device.id","value":{"stringValue":'),
  seq: fragment(',{"key":"warden.seq","value":{"intValue":"'),
  seqEnd: fragment('"}}'),
  hash: fragment(',{"key":"warden.hash","value":{"stringValue":'),
  prev: fragment(',{"key":"warden.prev_hash","value":{"stringValue":'),
  kind: fragment(',{"key":"warden.kind","value":{"stringValue":'),
  classUid: fragment(',{"key":"ocsf.class_uid","value":'),
  typeUid: fragment(',{"key":"ocsf.type_uid","value":'),
  sandbox: fragment(',{"key":"warden.sandbox.id","value":{"stringValue":'),
  outcome: fragment(',{"key":"warden.outcome","value":{"stringValue":'),
  end: fragment('}}'),
  eventName: fragment('],"eventName":'),
};

/** One LogRecord (the same object as encodeLogRecord), written into `w`. */
export function writeLogRecord(w: JsonBytes, device: OtlpDevice, r: HubRecord, observed: string): void {
  const ocsf = ocsfRawOf(r);
  const sev = otlpSeverity(ocsf);
  w.raw(A.time);
  w.ascii(nanos(r.time));
  w.raw(A.observed);
  w.ascii(observed);
  w.raw(A.severity);
  w.ascii(String(sev.severityNumber));
  w.raw(A.severityText);
  w.string(sev.severityText);
  w.raw(A.body);
  writeAnyValue(w, ocsf);
  attr(w, A.device, device.id);
  w.raw(A.seq);
  w.ascii(String(r.seq));
  w.raw(A.seqEnd);
  attr(w, A.hash, r.hash);
  attr(w, A.prev, r.prev_hash);
  attr(w, A.kind, r.kind);
  w.raw(A.classUid);
  writeAnyValue(w, ocsf.class_uid);
  w.byte(0x7d);
  w.raw(A.typeUid);
  writeAnyValue(w, ocsf.type_uid);
  w.byte(0x7d);
  if (r.sandbox_id !== null) attr(w, A.sandbox, r.sandbox_id);
  if (r.outcome !== null) attr(w, A.outcome, r.outcome);
  w.raw(A.eventName);
  w.string(`ocsf.${ocsf.class_uid}`);
  w.byte(0x7d);
}

/** The JSON text of one LogRecord. */
export function logRecordJson(device: OtlpDevice, r: HubRecord, observed: string): string {
  const w = new JsonBytes(8192);
  writeLogRecord(w, device, r, observed);
  return w.toString();
}

/** `{"resourceLogs":[{"resource":…,"scopeLogs":[{"scope":…,"logRecords":[` and its closing text. */
function requestFrame(device: OtlpDevice, scopeVersion: string): [string, string] {
  const resource = JSON.stringify({
    attributes: [
      str('service.name', 'warden'),
      str('service.version', device.version),
      str('host.name', device.machine),
      str('host.id', device.id),
    ],
  });
  const scope = JSON.stringify({ name: 'warden.audit', version: scopeVersion });
  return [`{"resourceLogs":[{"resource":${resource},"scopeLogs":[{"scope":${scope},"logRecords":[`, ']}]}]}'];
}

// Bytes a record took in the last request: the next request's buffer is sized from it.
let bytesPerRecord = 5000;

/**
 * One device's ExportLogsServiceRequest as JSON bytes, yielding to the event loop every
 * `slice` records, so that the previous batch's request is written and answered meanwhile.
 */
export async function logsRequestBytes(
  device: OtlpDevice,
  records: readonly HubRecord[],
  scopeVersion: string,
  observed: number,
  slice = 100,
): Promise<Buffer> {
  return (await logsRequestInto(undefined, device, records, scopeVersion, observed, slice)).body;
}

/**
 * logsRequestBytes written into `into` when it is big enough: `body` is a view of `buffer`,
 * which is `into` or the bigger one the writer moved to.
 */
export async function logsRequestInto(
  into: Buffer | undefined,
  device: OtlpDevice,
  records: readonly HubRecord[],
  scopeVersion: string,
  observed: number,
  slice = 100,
): Promise<{ body: Buffer; buffer: Buffer }> {
  const [head, tail] = requestFrame(device, scopeVersion);
  const obs = nanos(observed);
  const w = new JsonBytes(head.length + tail.length + Math.ceil(records.length * bytesPerRecord * 1.1), into);
  w.utf8(head);
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % slice === 0) await new Promise((r) => setImmediate(r));
    if (i) w.byte(0x2c);
    writeLogRecord(w, device, records[i]!, obs);
  }
  if (records.length)
    bytesPerRecord = Math.min(1 << 20, Math.ceil((w.length - head.length) / records.length));
  w.utf8(tail);
  return { body: w.bytes(), buffer: w.buffer };
}

/** The JSON text of one ExportLogsServiceRequest (one device's records), as logsRequestBytes writes it. */
export async function logsRequestJson(
  device: OtlpDevice,
  records: readonly HubRecord[],
  scopeVersion: string,
  observed: number,
): Promise<string> {
  return (await logsRequestBytes(device, records, scopeVersion, observed)).toString('utf8');
}

/** One ExportLogsServiceRequest for records of several devices. */
export function encodeLogsRequest(
  batches: ReadonlyArray<{ device: OtlpDevice; records: readonly HubRecord[] }>,
  scopeVersion: string,
  observed: number,
): { resourceLogs: unknown[] } {
  return {
    resourceLogs: batches.map(({ device, records }) => ({
      resource: {
        attributes: [
          str('service.name', 'warden'),
          str('service.version', device.version),
          str('host.name', device.machine),
          str('host.id', device.id),
        ],
      },
      scopeLogs: [
        {
          scope: { name: 'warden.audit', version: scopeVersion },
          logRecords: records.map((r) => encodeLogRecord(device, r, observed)),
        },
      ],
    })),
  };
}
