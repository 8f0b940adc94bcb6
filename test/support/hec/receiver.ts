// A Splunk HTTP Event Collector for tests (Debian has no Splunk), following Splunk's HEC
// docs: `Authorization: Splunk <token>` (401 code 2 without, 401 code 3 malformed, 403
// code 4 unknown), a channel per client (X-Splunk-Request-Channel or ?channel=; 400 code 10
// missing, 11 not a GUID) because indexer acknowledgement is on, the event endpoint's batch
// form (JSON objects one after another; 400 code 5 no data, 6 invalid data format, 7
// incorrect index, 12/13 event field missing or blank, 15 bad indexed fields), an `ackId`
// per request and `/services/collector/ack` answering `{"acks":{"<id>":bool}}`. Events are
// "indexed" (counted) only when their ack turns true, after `ackDelayMs`; a dropped ack
// loses its events, as a crashed indexer would. 503 code 9 "Server is busy" during a storm.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HecEvent {
  device: string;
  seq: number;
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index: string | undefined;
  event: Record<string, unknown>;
  fields: Record<string, string>;
}

export interface HecBehaviour {
  /** Answer 503 code 9 to every request until this time (epoch ms). */
  stormUntil?: number;
  /** Confirm an ackId this long after its request (default 30 ms). */
  ackDelayMs?: number;
  /** Never confirm the ackIds this returns true for (their events are lost). */
  dropAck?: (ackId: number) => boolean;
  /** Answer the event endpoint without an ackId (acks off for the token). */
  acksOff?: boolean;
  /** Answer every request with this status and body instead. */
  fixed?: { status: number; body: string };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    text: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(text);
  }
}

/** The JSON objects of an HEC batch body, one after another (any whitespace between). */
export function splitObjects(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}') {
      if (--depth === 0) out.push(text.slice(start, i + 1));
      if (depth < 0) throw new Refused(400, 6, 'Invalid data format', { 'invalid-event-number': out.length });
    } else if (depth === 0 && !/\s/.test(c!)) {
      throw new Refused(400, 6, 'Invalid data format', { 'invalid-event-number': out.length });
    }
  }
  if (depth !== 0 || inString)
    throw new Refused(400, 6, 'Invalid data format', { 'invalid-event-number': out.length });
  return out;
}

export class HecReceiver {
  readonly #server = http.createServer((req, res) => void this.#handle(req, res));
  readonly #nextAck = new Map<string, number>();
  readonly #pending = new Map<string, { at: number; events: HecEvent[]; dropped: boolean }>();
  readonly indexed = new Map<string, HecEvent>();
  behaviour: HecBehaviour = {};
  duplicates = 0;
  eventRequests = 0;
  ackRequests = 0;
  refusals: Array<{ status: number; code: number; text: string }> = [];
  /** Authorization values seen (a test checks the token was sent). */
  readonly authorizations = new Set<string>();

  constructor(
    readonly token = 'a1b2c3d4-0000-4000-8000-00000000beef',
    readonly indexes = ['main', 'security'],
  ) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://hec.invalid');
    try {
      const b = this.behaviour;
      if (b.fixed) {
        res.writeHead(b.fixed.status, { 'content-type': 'application/json' });
        res.end(b.fixed.body);
        return;
      }
      if (b.stormUntil && Date.now() < b.stormUntil) throw new Refused(503, 9, 'Server is busy');
      if (req.method !== 'POST')
        throw new Refused(404, 404, 'The requested URL was not found on this server.');
      const channel = this.#auth(req, url);
      let answer: unknown;
      if (url.pathname === '/services/collector/event') answer = this.#event(channel, body);
      else if (url.pathname === '/services/collector/ack') answer = this.#ack(channel, body);
      else throw new Refused(404, 404, 'The requested URL was not found on this server.');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    } catch (error) {
      const r =
        error instanceof Refused
          ? error
          : new Refused(500, 8, `Internal server error: ${(error as Error).message}`);
      this.refusals.push({ status: r.status, code: r.code, text: r.message });
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: r.message, code: r.code, ...r.extra }));
    }
  }

  #auth(req: http.IncomingMessage, url: URL): string {
    const auth = req.headers.authorization;
    if (!auth) throw new Refused(401, 2, 'Token is required');
    this.authorizations.add(auth);
    const m = /^Splunk (\S+)$/.exec(auth);
    if (!m) throw new Refused(401, 3, 'Invalid authorization');
    if (m[1] !== this.token) throw new Refused(403, 4, 'Invalid token');
    const channel =
      (req.headers['x-splunk-request-channel'] as string | undefined) ?? url.searchParams.get('channel');
    if (!channel) throw new Refused(400, 10, 'Data channel is missing');
    if (!GUID.test(channel)) throw new Refused(400, 11, 'Invalid data channel');
    return channel;
  }

  #event(channel: string, body: string): unknown {
    this.eventRequests++;
    if (!body.trim()) throw new Refused(400, 5, 'No data');
    const events = splitObjects(body).map((text, i) => this.#parseEvent(text, i));
    if (this.behaviour.acksOff) {
      for (const e of events) this.#index(e);
      return { text: 'Success', code: 0 };
    }
    const ackId = this.#nextAck.get(channel) ?? 0;
    this.#nextAck.set(channel, ackId + 1);
    this.#pending.set(`${channel}/${ackId}`, {
      at: Date.now() + (this.behaviour.ackDelayMs ?? 30),
      events,
      dropped: this.behaviour.dropAck?.(ackId) ?? false,
    });
    return { text: 'Success', code: 0, ackId };
  }

  #parseEvent(text: string, n: number): HecEvent {
    const bad = (status: number, code: number, why: string) =>
      new Refused(status, code, why, { 'invalid-event-number': n });
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw bad(400, 6, 'Invalid data format');
    }
    if (!('event' in o)) throw bad(400, 12, 'Event field is required');
    if (o.event === '' || o.event === null) throw bad(400, 13, 'Event field cannot be blank');
    if (typeof o.event !== 'object' || Array.isArray(o.event)) throw bad(400, 6, 'Invalid data format');
    const time = typeof o.time === 'string' ? Number(o.time) : o.time;
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0)
      throw bad(400, 6, 'Invalid data format');
    if (o.index !== undefined && (typeof o.index !== 'string' || !this.indexes.includes(o.index)))
      throw bad(400, 7, 'Incorrect index');
    const fields = o.fields;
    if (
      typeof fields !== 'object' ||
      fields === null ||
      Object.values(fields).some(
        (v) => typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string')),
      )
    )
      throw bad(400, 15, 'Error in handling indexed fields');
    const f = fields as Record<string, string>;
    const seq = Number(f.warden_seq);
    if (!f.warden_device || !Number.isSafeInteger(seq))
      throw bad(400, 15, 'Error in handling indexed fields');
    for (const k of ['host', 'source', 'sourcetype'])
      if (typeof o[k] !== 'string' || !o[k]) throw bad(400, 6, 'Invalid data format');
    return {
      device: f.warden_device,
      seq,
      time,
      host: o.host as string,
      source: o.source as string,
      sourcetype: o.sourcetype as string,
      index: o.index as string | undefined,
      event: o.event as Record<string, unknown>,
      fields: f,
    };
  }

  #ack(channel: string, body: string): unknown {
    this.ackRequests++;
    if (this.behaviour.acksOff) throw new Refused(400, 14, 'ACK is disabled');
    let ids: unknown;
    try {
      ids = (JSON.parse(body) as { acks?: unknown }).acks;
    } catch {
      throw new Refused(400, 6, 'Invalid data format');
    }
    if (!Array.isArray(ids) || ids.some((x) => !Number.isSafeInteger(x)))
      throw new Refused(400, 6, 'Invalid data format');
    const acks: Record<string, boolean> = {};
    for (const id of ids as number[]) {
      const key = `${channel}/${id}`;
      const p = this.#pending.get(key);
      if (p && !p.dropped && Date.now() >= p.at) {
        for (const e of p.events) this.#index(e);
        this.#pending.delete(key);
        acks[String(id)] = true;
      } else acks[String(id)] = this.#confirmed.has(key);
      if (acks[String(id)]) this.#confirmed.add(key);
    }
    return { acks };
  }

  readonly #confirmed = new Set<string>();

  #index(e: HecEvent): void {
    const key = `${e.device}/${e.seq}`;
    if (this.indexed.has(key)) this.duplicates++;
    this.indexed.set(key, e);
  }
}
