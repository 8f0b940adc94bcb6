// The export bench's OTLP/HTTP logs receiver, run in its own process (as a Collector would
// be: test/support/otlp/receiver-process.ts): it JSON.parses every request (gunzipping a
// `Content-Encoding: gzip` one), checks each resource's attributes, counts every logRecord by
// its warden.device.id + warden.seq (duplicates counted, seqs checked contiguous at the end)
// and answers 200 with an empty ExportLogsServiceResponse, or 400 with the reason. With
// `spec: true` it also runs the test receiver's full check of every record (receiver.ts).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { checkRequest } from './receiver.ts';

/** Bodies up to this size are read into reused buffers. */
const MAX_POOLED = 64 << 20;

export interface CountingStats {
  records: number;
  duplicates: number;
  requests: number;
  rejectedRequests: number;
  lastError: string | null;
  /** Per device: how many distinct seqs, the least and the greatest. */
  devices: Record<string, { size: number; min: number; max: number }>;
}

interface KV {
  key?: unknown;
  value?: { stringValue?: unknown; intValue?: unknown };
}

function attribute(list: unknown, key: string): unknown {
  if (!Array.isArray(list)) return undefined;
  for (const kv of list as KV[]) if (kv?.key === key) return kv.value?.stringValue ?? kv.value?.intValue;
  return undefined;
}

export class CountingReceiver {
  readonly #seen = new Map<string, Set<number>>();
  readonly #server: http.Server;
  stats: CountingStats = {
    records: 0,
    duplicates: 0,
    requests: 0,
    rejectedRequests: 0,
    lastError: null,
    devices: {},
  };

  constructor(readonly spec = false) {
    this.#server = http.createServer((req, res) => this.#handle(req, res));
    this.#server.keepAliveTimeout = 30_000;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Count one request's records; throws on what an OTLP receiver would refuse. */
  accept(body: unknown): number {
    const rl = (body as { resourceLogs?: unknown })?.resourceLogs;
    if (!Array.isArray(rl)) throw new Error('resourceLogs must be an array');
    if (this.spec) checkRequest(body, false);
    let n = 0;
    for (const r of rl) {
      const attrs = (r as { resource?: { attributes?: unknown } })?.resource?.attributes;
      if (attribute(attrs, 'service.name') !== 'warden')
        throw new Error('resource: service.name is not warden');
      for (const k of ['service.version', 'host.name'])
        if (typeof attribute(attrs, k) !== 'string') throw new Error(`resource attribute ${k} missing`);
      const host = attribute(attrs, 'host.id');
      if (typeof host !== 'string') throw new Error('resource attribute host.id missing');
      const scopes = (r as { scopeLogs?: unknown }).scopeLogs;
      if (!Array.isArray(scopes)) throw new Error('scopeLogs must be an array');
      const seen = this.#seen.get(host) ?? new Set<number>();
      this.#seen.set(host, seen);
      for (const s of scopes) {
        const records = (s as { logRecords?: unknown })?.logRecords;
        if (!Array.isArray(records)) throw new Error('logRecords must be an array');
        for (const lr of records) {
          const attributes = (lr as { attributes?: unknown })?.attributes;
          if (attribute(attributes, 'warden.device.id') !== host)
            throw new Error('a record’s warden.device.id is not its resource’s host.id');
          const seq = attribute(attributes, 'warden.seq');
          if (typeof seq !== 'string' || !/^\d{1,16}$/.test(seq))
            throw new Error('warden.seq must be an intValue');
          const k = Number(seq);
          if (seen.has(k)) this.stats.duplicates++;
          else seen.add(k);
          n++;
        }
      }
    }
    this.stats.records += n;
    return n;
  }

  /** The stats with each device's seq range (contiguous when max - min + 1 === size). */
  report(): CountingStats {
    const devices: CountingStats['devices'] = {};
    for (const [id, seqs] of this.#seen) {
      let min = Number.POSITIVE_INFINITY;
      let max = 0;
      for (const s of seqs) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
      devices[id] = { size: seqs.size, min, max };
    }
    return { ...this.stats, devices };
  }

  #answer(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  // Bodies are read into buffers kept between requests (one a request in flight): a fresh
  // buffer of megabytes per request (Buffer.concat) costs a copy and page faults each time.
  readonly #free: Buffer[] = [];

  #take(size: number): Buffer {
    const i = this.#free.findIndex((b) => b.length >= size);
    if (i !== -1) return this.#free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(size, 1 << 20));
  }

  #give(buf: Buffer): void {
    if (this.#free.length < 4) this.#free.push(buf);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    // node:http delivers exactly content-length bytes; without one (chunked), chunks are joined.
    const declared = Number(req.headers['content-length']);
    let buf = Number.isSafeInteger(declared) && declared <= MAX_POOLED ? this.#take(declared) : null;
    let at = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      if (buf && at + c.length <= buf.length) {
        at += c.copy(buf, at);
        return;
      }
      if (buf) {
        chunks.push(Buffer.from(buf.subarray(0, at)));
        this.#give(buf);
        buf = null;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      try {
        this.#request(req, res, buf ? buf.subarray(0, at) : Buffer.concat(chunks));
      } finally {
        if (buf) this.#give(buf);
        buf = null;
      }
    });
  }

  #request(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    this.stats.requests++;
    if (req.method !== 'POST' || req.url !== '/v1/logs')
      return this.#answer(res, 404, '{"message":"not found"}');
    if (!String(req.headers['content-type']).startsWith('application/json'))
      return this.#answer(res, 415, '{"code":3,"message":"content-type must be application/json"}');
    try {
      let raw = body;
      const encoding = req.headers['content-encoding'];
      if (encoding === 'gzip') raw = zlib.gunzipSync(raw);
      else if (encoding !== undefined && encoding !== 'identity')
        throw new Error(`content-encoding ${encoding}`);
      this.accept(JSON.parse(raw.toString('utf8')));
    } catch (error) {
      this.stats.rejectedRequests++;
      this.stats.lastError = (error as Error).message;
      return this.#answer(res, 400, JSON.stringify({ code: 3, message: (error as Error).message }));
    }
    this.#answer(res, 200, '{}');
  }
}
