// OTLP/HTTP logs, JSON encoding (ExportLogsServiceRequest), written by hand: one
// ResourceLogs per device (its host and Warden version), one ScopeLogs, one LogRecord per
// audit record with the OCSF object as a kvlist body. 64-bit integers are decimal strings,
// as the OTLP JSON mapping requires. The mapping is in supervisor/hub/exports/README.md.

import type { OcsfEvent } from '../../api/audit-types.ts';
import type { HubRecord } from '../../api/hub.ts';
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
const keyPrefixes = new Map<string, string>();

function keyPrefix(key: string): string {
  let p = keyPrefixes.get(key);
  if (p === undefined) {
    p = `{"key":${JSON.stringify(key)},"value":`;
    if (keyPrefixes.size < 4096) keyPrefixes.set(key, p);
  }
  return p;
}

/** The JSON text of anyValue(v), written directly (the export's hot path: no object tree). */
export function anyValueJson(v: unknown, depth = 0): string {
  if (depth > 32) return `{"stringValue":${JSON.stringify(JSON.stringify(v) ?? null)}}`;
  if (v === null || v === undefined) return '{}';
  switch (typeof v) {
    case 'string':
      return `{"stringValue":${JSON.stringify(v)}}`;
    case 'boolean':
      return v ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'number':
      return Number.isSafeInteger(v)
        ? `{"intValue":"${v}"}`
        : `{"doubleValue":${Number.isFinite(v) ? v : JSON.stringify(String(v))}}`;
    case 'object': {
      if (Array.isArray(v)) {
        let out = '{"arrayValue":{"values":[';
        for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + anyValueJson(v[i], depth + 1);
        return `${out}]}}`;
      }
      // Keys in canonical order (as canonicalJson writes them); undefined members left out.
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      for (let i = 1; i < keys.length; i++) {
        if (keys[i - 1]! >= keys[i]!) {
          keys.sort();
          break;
        }
      }
      let out = '{"kvlistValue":{"values":[';
      let first = true;
      for (const key of keys) {
        const member = o[key];
        if (member === undefined) continue;
        out += `${first ? '' : ','}${keyPrefix(key)}${anyValueJson(member, depth + 1)}}`;
        first = false;
      }
      return `${out}]}}`;
    }
    default:
      return `{"stringValue":${JSON.stringify(String(v))}}`;
  }
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

/** The JSON text of one LogRecord (the same object as encodeLogRecord, written directly). */
export function logRecordJson(device: OtlpDevice, r: HubRecord, observed: string): string {
  const ocsf = ocsfRawOf(r);
  const sev = otlpSeverity(ocsf);
  let attrs =
    `{"key":"warden.device.id","value":{"stringValue":${JSON.stringify(device.id)}}},` +
    `{"key":"warden.seq","value":{"intValue":"${r.seq}"}},` +
    `{"key":"warden.hash","value":{"stringValue":${JSON.stringify(r.hash)}}},` +
    `{"key":"warden.prev_hash","value":{"stringValue":${JSON.stringify(r.prev_hash)}}},` +
    `{"key":"warden.kind","value":{"stringValue":${JSON.stringify(r.kind)}}},` +
    `{"key":"ocsf.class_uid","value":${anyValueJson(ocsf.class_uid)}},` +
    `{"key":"ocsf.type_uid","value":${anyValueJson(ocsf.type_uid)}}`;
  if (r.sandbox_id !== null)
    attrs += `,{"key":"warden.sandbox.id","value":{"stringValue":${JSON.stringify(r.sandbox_id)}}}`;
  if (r.outcome !== null)
    attrs += `,{"key":"warden.outcome","value":{"stringValue":${JSON.stringify(r.outcome)}}}`;
  return (
    `{"timeUnixNano":"${nanos(r.time)}","observedTimeUnixNano":"${observed}",` +
    `"severityNumber":${sev.severityNumber},"severityText":${JSON.stringify(sev.severityText)},` +
    `"body":${anyValueJson(ocsf)},"attributes":[${attrs}],"eventName":"ocsf.${ocsf.class_uid}"}`
  );
}

/** The JSON text of encodeLogsRequest(…), written directly. */
export function logsRequestJson(
  batches: ReadonlyArray<{ device: OtlpDevice; records: readonly HubRecord[] }>,
  scopeVersion: string,
  observed: number,
): string {
  const obs = nanos(observed);
  const parts: string[] = [];
  for (const { device, records } of batches) {
    const resource = JSON.stringify({
      attributes: [
        str('service.name', 'warden'),
        str('service.version', device.version),
        str('host.name', device.machine),
        str('host.id', device.id),
      ],
    });
    const scope = JSON.stringify({ name: 'warden.audit', version: scopeVersion });
    const logs = records.map((r) => logRecordJson(device, r, obs)).join(',');
    parts.push(`{"resource":${resource},"scopeLogs":[{"scope":${scope},"logRecords":[${logs}]}]}`);
  }
  return `{"resourceLogs":[${parts.join(',')}]}`;
}

/**
 * logsRequestJson for one device, yielding to the event loop every `slice` records, so that
 * the previous batch's request is written and answered while this one is encoded.
 */
export async function logsRequestJsonAsync(
  device: OtlpDevice,
  records: readonly HubRecord[],
  scopeVersion: string,
  observed: number,
  slice = 100,
): Promise<Buffer> {
  const head = logsRequestJson([{ device, records: [] }], scopeVersion, observed);
  const obs = nanos(observed);
  const cut = head.lastIndexOf('"logRecords":[') + '"logRecords":['.length;
  // Each record's text goes to bytes at once: no request-sized string is ever built (its
  // flattening and UTF-8 encoding cost more than the encoding itself).
  const parts: Buffer[] = [Buffer.from(head.slice(0, cut))];
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % slice === 0) await new Promise((r) => setImmediate(r));
    parts.push(
      Buffer.from(
        i ? `,${logRecordJson(device, records[i]!, obs)}` : logRecordJson(device, records[i]!, obs),
      ),
    );
  }
  parts.push(Buffer.from(head.slice(cut)));
  return Buffer.concat(parts);
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
