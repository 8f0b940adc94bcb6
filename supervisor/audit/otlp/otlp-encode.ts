// OTLP/HTTP logs, JSON encoding (ExportLogsServiceRequest), written by hand: one
// ResourceLogs per device (its host and Warden version), one ScopeLogs, one LogRecord per
// audit record with the OCSF object as a kvlist body. 64-bit integers are decimal strings,
// as the OTLP JSON mapping requires. The mapping is in supervisor/hub/exports/README.md.

import type { OcsfEvent } from '../../api/audit-types.ts';
import type { HubRecord } from '../../api/hub.ts';
import { writeAnyValue } from './any-value-bytes.ts';
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
