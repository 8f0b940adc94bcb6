// An OTLP/HTTP logs receiver for tests (Debian has no OpenTelemetry Collector): it checks
// each ExportLogsServiceRequest against the OTLP JSON rules (field names, 64-bit integers as
// decimal strings, one value per AnyValue, required resource attributes) and answers with the
// spec's codes: 200 with an ExportLogsServiceResponse (optionally a partial success), 400 for
// a malformed request, and 503/429 during a "storm". Records are kept by device + seq, so a
// test can count losses and duplicates.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedLog {
  device: string;
  seq: number;
  hash: string;
  severityNumber: number;
  timeUnixNano: string;
  body: unknown;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

export interface ReceiverBehaviour {
  /** Answer 503 (with Retry-After when set) to every request until this time (epoch ms). */
  stormUntil?: number;
  stormStatus?: number;
  retryAfterSeconds?: number;
  /** Reject (partial success) the records whose seq this returns true for. */
  reject?: (seq: number) => boolean;
  /** Answer every request with this status and body instead. */
  fixed?: { status: number; body: string };
}

function fail(path: string, why: string): never {
  throw new Error(`${path}: ${why}`);
}

/** An AnyValue as plain JSON (and a check that it has exactly one of the OTLP value fields). */
export function plainValue(v: unknown, path: string): unknown {
  if (typeof v !== 'object' || v === null) fail(path, 'AnyValue must be an object');
  const keys = Object.keys(v);
  if (keys.length === 0) return null;
  if (keys.length !== 1) fail(path, `AnyValue has ${keys.length} fields`);
  const o = v as Record<string, unknown>;
  if ('stringValue' in o)
    return typeof o.stringValue === 'string' ? o.stringValue : fail(path, 'stringValue');
  if ('boolValue' in o) return typeof o.boolValue === 'boolean' ? o.boolValue : fail(path, 'boolValue');
  if ('intValue' in o) {
    if (typeof o.intValue !== 'string' || !/^-?\d+$/.test(o.intValue))
      fail(path, 'intValue must be a decimal string');
    return Number(o.intValue);
  }
  if ('doubleValue' in o)
    return typeof o.doubleValue === 'number' ? o.doubleValue : fail(path, 'doubleValue');
  if ('arrayValue' in o) {
    const values = (o.arrayValue as { values?: unknown })?.values ?? [];
    if (!Array.isArray(values)) fail(path, 'arrayValue.values');
    return values.map((x, i) => plainValue(x, `${path}[${i}]`));
  }
  if ('kvlistValue' in o) return plainKv((o.kvlistValue as { values?: unknown })?.values ?? [], path);
  return fail(path, `unknown AnyValue field ${keys[0]}`);
}

export function plainKv(list: unknown, path: string): Record<string, unknown> {
  if (!Array.isArray(list)) fail(path, 'attributes must be an array of KeyValue');
  const out: Record<string, unknown> = {};
  for (const [i, kv] of list.entries()) {
    const { key, value } = kv as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || key === '') fail(`${path}[${i}]`, 'KeyValue.key');
    if (key in out) fail(`${path}[${i}]`, `duplicate key ${key}`);
    out[key] = plainValue(value, `${path}.${key}`);
  }
  return out;
}

/**
 * The same checks as plainValue without building the value (the bench's receiver): null, or
 * what is wrong, led by where below `v` (built only then: a valid value allocates nothing).
 */
function valueProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return ': AnyValue must be an object';
  let n = 0;
  for (const key in v) {
    if (++n > 1) return ': AnyValue has more than one field';
    const x = (v as Record<string, unknown>)[key];
    switch (key) {
      case 'stringValue':
        if (typeof x !== 'string') return ': stringValue';
        break;
      case 'boolValue':
        if (typeof x !== 'boolean') return ': boolValue';
        break;
      case 'intValue':
        if (typeof x !== 'string' || !/^-?\d+$/.test(x)) return ': intValue';
        break;
      case 'doubleValue':
        if (typeof x !== 'number') return ': doubleValue';
        break;
      case 'arrayValue': {
        const values = (x as { values?: unknown })?.values ?? [];
        if (!Array.isArray(values)) return ': arrayValue.values';
        for (let i = 0; i < values.length; i++) {
          const problem = valueProblem(values[i]);
          if (problem !== null) return `[${i}]${problem}`;
        }
        break;
      }
      case 'kvlistValue': {
        const values = (x as { values?: unknown })?.values ?? [];
        if (!Array.isArray(values)) return ': kvlistValue.values';
        for (let i = 0; i < values.length; i++) {
          const kv = values[i] as { key?: unknown; value?: unknown } | null;
          if (typeof kv !== 'object' || kv === null) return `[${i}]: KeyValue must be an object`;
          const k = kv.key;
          if (typeof k !== 'string' || k === '') return `[${i}]: kvlist key`;
          // Keys are unique: compared with those before (a kvlist is a few dozen keys).
          for (let j = 0; j < i; j++)
            if ((values[j] as { key: string }).key === k) return `: duplicate key ${k}`;
          const problem = valueProblem(kv.value);
          if (problem !== null) return `.${k}${problem}`;
        }
        break;
      }
      default:
        return `: unknown AnyValue field ${key}`;
    }
  }
  return null;
}

/** plainValue's checks on a LogRecord body without building it: throws `path: what is wrong`. */
function bodyChecked(body: unknown, record: string): null {
  const problem = valueProblem(body);
  if (problem !== null) throw new Error(`${record}.body${problem}`);
  return null;
}

/** Parse and check a request; returns its log records (bodies only when `keepBodies`). */
export function checkRequest(body: unknown, keepBodies = true): ReceivedLog[] {
  const rl = (body as { resourceLogs?: unknown })?.resourceLogs;
  if (!Array.isArray(rl)) fail('$', 'resourceLogs must be an array');
  const out: ReceivedLog[] = [];
  for (const [i, r] of rl.entries()) {
    const resource = plainKv(
      (r as { resource?: { attributes?: unknown } }).resource?.attributes,
      `resourceLogs[${i}]`,
    );
    for (const k of ['service.name', 'service.version', 'host.name', 'host.id'])
      if (typeof resource[k] !== 'string') fail(`resourceLogs[${i}]`, `resource attribute ${k} missing`);
    const scopes = (r as { scopeLogs?: unknown }).scopeLogs;
    if (!Array.isArray(scopes)) fail(`resourceLogs[${i}]`, 'scopeLogs must be an array');
    for (const s of scopes) {
      const records = (s as { logRecords?: unknown }).logRecords;
      if (!Array.isArray(records)) fail('scopeLogs', 'logRecords must be an array');
      for (let j = 0; j < records.length; j++) {
        const x = records[j] as Record<string, unknown>;
        if (typeof x !== 'object' || x === null) fail(`logRecords[${j}]`, 'LogRecord must be an object');
        const p = `logRecords[${j}]`;
        if (typeof x.timeUnixNano !== 'string' || !/^\d+$/.test(x.timeUnixNano)) fail(p, 'timeUnixNano');
        if (typeof x.observedTimeUnixNano !== 'string' || !/^\d+$/.test(x.observedTimeUnixNano))
          fail(p, 'observedTimeUnixNano');
        const sev = x.severityNumber;
        if (!Number.isInteger(sev) || (sev as number) < 0 || (sev as number) > 24) fail(p, 'severityNumber');
        const attributes = plainKv(x.attributes, `${p}.attributes`);
        const device = attributes['warden.device.id'];
        const seq = attributes['warden.seq'];
        if (typeof device !== 'string' || typeof seq !== 'number') fail(p, 'warden.device.id / warden.seq');
        out.push({
          device,
          seq,
          hash: String(attributes['warden.hash']),
          severityNumber: sev as number,
          timeUnixNano: x.timeUnixNano,
          body: keepBodies ? plainValue(x.body, `${p}.body`) : bodyChecked(x.body, p),
          attributes,
          resource,
        });
      }
    }
  }
  return out;
}

const COUNTED: ReceivedLog = Object.freeze({
  device: '',
  seq: 0,
  hash: '',
  severityNumber: 0,
  timeUnixNano: '0',
  body: null,
  attributes: {},
  resource: {},
});

export class OtlpReceiver {
  readonly logs = new Map<string, ReceivedLog>();
  duplicates = 0;
  requests = 0;
  statuses: number[] = [];
  behaviour: ReceiverBehaviour = {};
  readonly #server: http.Server;

  /** `keepBodies: false` checks bodies without keeping them (the bench). */
  constructor(readonly keepBodies = true) {
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #answer(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    this.statuses.push(status);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.requests++;
      const b = this.behaviour;
      if (b.fixed) return this.#answer(res, b.fixed.status, b.fixed.body);
      if (req.method !== 'POST' || req.url !== '/v1/logs')
        return this.#answer(res, 404, { message: 'not found' });
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return this.#answer(res, 415, { code: 3, message: 'content-type must be application/json' });
      if (b.stormUntil && Date.now() < b.stormUntil) {
        const h: Record<string, string> =
          b.retryAfterSeconds === undefined ? {} : { 'retry-after': String(b.retryAfterSeconds) };
        return this.#answer(res, b.stormStatus ?? 503, { code: 14, message: 'unavailable' }, h);
      }
      let records: ReceivedLog[];
      try {
        records = checkRequest(JSON.parse(Buffer.concat(chunks).toString('utf8')), this.keepBodies);
      } catch (error) {
        return this.#answer(res, 400, { code: 3, message: (error as Error).message });
      }
      let rejected = 0;
      for (const r of records) {
        if (b.reject?.(r.seq)) {
          rejected++;
          continue;
        }
        const key = `${r.device}/${r.seq}`;
        if (this.logs.has(key)) this.duplicates++;
        // The bench keeps only the keys (it counts losses and duplicates, nothing else).
        this.logs.set(key, this.keepBodies ? r : COUNTED);
      }
      this.#answer(
        res,
        200,
        rejected
          ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage: 'seq not wanted' } }
          : {},
      );
    });
  }
}
