// `GET /v1/export`: the hub's records as OCSF NDJSON, one object per line, streamed page by
// page from the store (keyset, 500 rows a page: never the whole table in memory). The next
// page is read only once the socket took the previous one (backpressure); a client that
// stops reading is cut after `stallMs`. Authorised by an export token (Bearer; made with
// `warden hub export token create`, kept hashed). Each line carries its resume position in
// `unmapped.warden.cursor`: pass the last one back as `after` to continue.

import type http from 'node:http';
import { WardenError } from '../../api/errors.ts';
import { canonicalJson } from '../../audit/canonical.ts';
import { ocsfOf } from '../../audit/otlp/ocsf-of.ts';
import type { ExportStreamDb, StreamCursor, StreamFilter, StreamRow } from './stream-db.ts';

export const EXPORT_PATH = '/v1/export';
const PARAMS = new Set(['since', 'until', 'device', 'kind', 'after']);
const DEVICE = /^[0-9A-Za-z_-]{1,128}$/;
const KIND = /^[0-9A-Za-z_.:-]{1,64}$/;

export interface ExportStreamOptions {
  db: ExportStreamDb;
  now: () => number;
  pageSize?: number;
  /** A client that takes nothing for this long is disconnected (default 60 s). */
  stallMs?: number;
}

export function formatStreamCursor(c: StreamCursor): string {
  return `${c.time}.${c.device}.${c.seq}`;
}

export function parseStreamCursor(text: string): StreamCursor {
  const m = /^(-?\d{1,16})\.([0-9A-Za-z_-]{1,128})\.(\d{1,16})$/.exec(text);
  if (!m)
    throw new WardenError(
      'BadRequest',
      'invalid `after`: it must be the unmapped.warden.cursor of a line this endpoint sent',
      'Resume with the cursor of the last line you stored.',
    );
  return { time: Number(m[1]), device: m[2]!, seq: Number(m[3]) };
}

/** A time filter: epoch milliseconds or an ISO 8601 date-time. */
function parseTime(name: string, text: string): number {
  const ms = /^-?\d{1,16}$/.test(text)
    ? Number(text)
    : /^\d{4}-\d\d-\d\d/.test(text)
      ? Date.parse(text)
      : NaN;
  if (!Number.isSafeInteger(ms))
    throw new WardenError(
      'BadRequest',
      `invalid \`${name}\` ${JSON.stringify(text.slice(0, 40))}`,
      'Give epoch milliseconds or an ISO 8601 time, e.g. 2026-12-01T00:00:00Z.',
    );
  return ms;
}

export function parseStreamFilter(q: URLSearchParams): StreamFilter {
  const f: StreamFilter = {};
  for (const key of new Set(q.keys())) {
    if (!PARAMS.has(key))
      throw new WardenError(
        'BadRequest',
        `unknown export parameter ${JSON.stringify(key.slice(0, 40))}`,
        `Use: ${[...PARAMS].join(', ')}.`,
      );
    if (q.getAll(key).length > 1) throw new WardenError('BadRequest', `\`${key}\` given more than once`);
  }
  const get = (k: string) => q.get(k) ?? undefined;
  const since = get('since');
  const until = get('until');
  if (since !== undefined) f.since = parseTime('since', since);
  if (until !== undefined) f.until = parseTime('until', until);
  if (f.since !== undefined && f.until !== undefined && f.until < f.since)
    throw new WardenError('BadRequest', '`until` is before `since`');
  const device = get('device');
  if (device !== undefined) {
    if (!DEVICE.test(device))
      throw new WardenError('BadRequest', 'invalid `device`', 'Give a device id (warden hub devices).');
    f.device = device;
  }
  const kind = get('kind');
  if (kind !== undefined) {
    if (!KIND.test(kind)) throw new WardenError('BadRequest', 'invalid `kind`', 'e.g. kind=request');
    f.kind = kind;
  }
  const after = get('after');
  if (after !== undefined) f.after = parseStreamCursor(after);
  return f;
}

/** One NDJSON line: the record's OCSF object with the dedupe key and resume position. */
export function streamLine(r: StreamRow): string {
  const ocsf = ocsfOf(r);
  const cursor = formatStreamCursor({ time: r.time, device: r.device, seq: r.seq });
  const unmapped = {
    ...(ocsf.unmapped as object | undefined),
    warden: { device: r.device, seq: r.seq, hash: r.hash, cursor },
  };
  return `${canonicalJson({ ...ocsf, unmapped })}\n`;
}

export class ExportStream {
  constructor(readonly o: ExportStreamOptions) {}

  /** Authenticate, validate, then stream; errors before the first byte are thrown (→ status). */
  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (req.method !== 'GET') throw new WardenError('NotFound', `no hub route ${req.method} ${url.pathname}`);
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer (\S{1,200})$/.exec(auth);
    if (!m || !(await this.o.db.checkToken(m[1]!, this.o.now())))
      throw new WardenError(
        'Unauthorized',
        m
          ? 'the export token is unknown or expired'
          : 'GET /v1/export needs Authorization: Bearer <export token>',
        'Make one with: warden hub export token create --name NAME',
      );
    const filter = parseStreamFilter(url.searchParams);
    const first = await this.o.db.page(filter, this.o.pageSize ?? 500);
    res.writeHead(200, {
      'content-type': 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    await this.#pump(res, filter, first);
  }

  async #pump(res: http.ServerResponse, filter: StreamFilter, first: StreamRow[]): Promise<void> {
    const size = this.o.pageSize ?? 500;
    let page = first;
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    for (let n = 0; n < 100_000_000 && !closed; n++) {
      if (page.length === 0) break;
      let chunk = '';
      for (const r of page) chunk += streamLine(r);
      const last = page[page.length - 1]!;
      if (!res.write(chunk) && !(await this.#drained(res))) {
        res.destroy();
        return;
      }
      if (page.length < size) break;
      page = await this.o.db.page(
        { ...filter, after: { time: last.time, device: last.device, seq: last.seq } },
        size,
      );
    }
    if (!closed) res.end();
  }

  /** True once the socket drained; false when the client closed or stalled. */
  #drained(res: http.ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        res.off('drain', onDrain);
        res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), this.o.stallMs ?? 60_000);
      res.on('drain', onDrain);
      res.on('close', onClose);
    });
  }
}
