// Sends batches to a Splunk HTTP Event Collector with indexer acknowledgement: the batch is
// POSTed to /services/collector/event on this sink's channel (X-Splunk-Request-Channel),
// HEC answers an ackId, and the sink polls /services/collector/ack until Splunk says the
// events are indexed. Only then does deliver() return (and the runner move the cursor). An
// ack that does not come within `ackTimeoutMs` → the batch is sent again (at least once;
// a search dedupes on the warden_device + warden_seq fields). The token is read from its
// file at each delivery (owner-only, so it can be rotated) and never appears in an error.

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { HubRecord } from '../../api/hub.ts';
import { type PostAnswer, PostFailed, postWithRetry } from '../../audit/otlp/http-post.ts';
import type { OtlpDevice } from '../../audit/otlp/otlp-encode.ts';
import type { SinkResult } from '../../audit/otlp/otlp-sink.ts';
import { assertOwnerOnly } from '../../secrets/private-file.ts';
import { type HecMeta, hecBatch } from './hec-encode.ts';

export interface HecSinkOptions {
  /** As stored by `export add hec`: the event endpoint, with `index`/`sourcetype` in its query. */
  target: string;
  tokenFile: string;
  retryForMs?: number;
  timeoutMs?: number;
  baseMs?: number;
  capMs?: number;
  /** How long to wait for an ackId to be confirmed before sending the batch again. */
  ackTimeoutMs?: number;
  /** First wait between ack polls (doubles up to 2 s). */
  ackPollMs?: number;
}

const EVENT_PATH = '/services/collector/event';
const ACK_PATH = '/services/collector/ack';

/** The stored target of an HEC destination: the event URL plus its metadata in the query. */
export function hecTarget(url: string, meta: HecMeta): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TypeError('HEC URL must be http(s)');
  if (u.username || u.password) throw new TypeError('credentials in the URL');
  const base = u.pathname.replace(/\/+$/, '');
  u.pathname = base.endsWith(EVENT_PATH) ? base : `${base}${EVENT_PATH}`;
  u.search = '';
  u.hash = '';
  if (meta.index) u.searchParams.set('index', meta.index);
  if (meta.sourcetype) u.searchParams.set('sourcetype', meta.sourcetype);
  return u.toString();
}

export function parseHecTarget(target: string): { eventUrl: string; ackUrl: string; meta: HecMeta } {
  const u = new URL(target);
  const meta: HecMeta = {
    index: u.searchParams.get('index') ?? undefined,
    sourcetype: u.searchParams.get('sourcetype') ?? undefined,
  };
  u.search = '';
  const eventUrl = u.toString();
  u.pathname = u.pathname.slice(0, -EVENT_PATH.length) + ACK_PATH;
  return { eventUrl, ackUrl: u.toString(), meta };
}

/** HEC's error body `{"text": …, "code": N}` as a short printable phrase. */
export function hecReason(text: string): string {
  try {
    const o = JSON.parse(text) as { text?: unknown; code?: unknown };
    if (o && typeof o === 'object' && (typeof o.code === 'number' || typeof o.text === 'string')) {
      const code = typeof o.code === 'number' ? `code ${o.code}` : 'no code';
      return printable(`${code}: ${typeof o.text === 'string' ? o.text : 'no text'}`);
    }
  } catch {
    // not JSON: shown as is
  }
  return printable(text) || 'no body';
}

function printable(text: string): string {
  return text.slice(0, 200).replace(/[^\x20-\x7e]/g, '?');
}

export class HecSink {
  readonly channel = randomUUID();
  readonly #eventUrl: string;
  readonly #ackUrl: string;
  readonly #meta: HecMeta;

  constructor(readonly o: HecSinkOptions) {
    const parsed = parseHecTarget(o.target);
    this.#eventUrl = parsed.eventUrl;
    this.#ackUrl = parsed.ackUrl;
    this.#meta = parsed.meta;
  }

  async prepare(batch: { device: OtlpDevice; records: readonly HubRecord[] }): Promise<string> {
    return hecBatch(batch.device, batch.records, this.#meta);
  }

  async deliver(body: string): Promise<SinkResult> {
    const token = await readHecToken(this.o.tokenFile);
    try {
      return await this.#deliver(body, token);
    } catch (error) {
      // A receiver could echo the token back: it never reaches a message.
      const message = (error as Error).message.split(token).join('[token]');
      throw new Error(message);
    }
  }

  async #deliver(body: string, token: string): Promise<SinkResult> {
    const deadline = Date.now() + (this.o.retryForMs ?? 60_000);
    const headers = {
      authorization: `Splunk ${token}`,
      'x-splunk-request-channel': this.channel,
      'content-type': 'application/json',
    };
    const post = (url: string, text: string) =>
      postWithRetry(url, text, headers, {
        deadline,
        timeoutMs: this.o.timeoutMs,
        baseMs: this.o.baseMs,
        capMs: this.o.capMs,
      });
    let unconfirmed = 0;
    const unacknowledged = () =>
      new Error(
        `${this.#eventUrl}: Splunk did not acknowledge the batch (no ackId confirmed after ${unconfirmed} send(s)); it stays pending`,
      );
    for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
      let sent: PostAnswer;
      try {
        sent = await post(this.#eventUrl, body);
      } catch (error) {
        // The window closed while sending again: what matters is the ack that never came.
        throw unconfirmed && error instanceof PostFailed ? unacknowledged() : error;
      }
      this.#check(sent, 'event');
      const ackId = ackIdOf(sent.text);
      if (await this.#awaitAck(post, ackId, deadline)) {
        return {
          rejected: 0,
          note: unconfirmed ? `${unconfirmed} earlier send(s) were never acknowledged; sent again` : null,
        };
      }
      unconfirmed++;
    }
    throw unacknowledged();
  }

  #check(answer: PostAnswer, what: string): void {
    if (answer.status >= 200 && answer.status <= 299) return;
    const url = what === 'event' ? this.#eventUrl : this.#ackUrl;
    const why = answer.status === 401 || answer.status === 403 ? ' (check the token in --token-file)' : '';
    throw new Error(`${url}: HTTP ${answer.status} (${hecReason(answer.text)})${why}`);
  }

  /** Poll until the ackId is confirmed (true), or the ack timeout passes (false). */
  async #awaitAck(
    post: (url: string, text: string) => Promise<PostAnswer>,
    ackId: number,
    deadline: number,
  ): Promise<boolean> {
    const until = Math.min(deadline, Date.now() + (this.o.ackTimeoutMs ?? 60_000));
    let wait = this.o.ackPollMs ?? 50;
    for (let i = 0; i < 10_000; i++) {
      let answer: PostAnswer;
      try {
        answer = await post(this.#ackUrl, JSON.stringify({ acks: [ackId] }));
      } catch (error) {
        if (error instanceof PostFailed) return false; // the window closed while polling
        throw error;
      }
      this.#check(answer, 'ack');
      if (ackConfirmed(answer.text, ackId)) return true;
      if (Date.now() + wait >= until) return false;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 2000);
    }
    return false;
  }
}

/** The ackId of an event answer; an answer without one means the token has acks off. */
export function ackIdOf(text: string): number {
  let id: unknown;
  try {
    id = (JSON.parse(text) as { ackId?: unknown }).ackId;
  } catch {
    throw new Error('Splunk answered 200 with a body that is not JSON (no ackId)');
  }
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
    throw new Error(
      'Splunk answered without an ackId: turn on indexer acknowledgement for this HEC token (the cursor moves only on an ack)',
    );
  return id;
}

/** True only for `{"acks": {"<id>": true}}`. */
export function ackConfirmed(text: string, id: number): boolean {
  try {
    const acks = (JSON.parse(text) as { acks?: unknown }).acks;
    if (!acks || typeof acks !== 'object' || Array.isArray(acks)) return false;
    return Object.hasOwn(acks, String(id)) && (acks as Record<string, unknown>)[String(id)] === true;
  } catch {
    return false;
  }
}

/** The token from its file: owner-only, one line of visible ASCII. */
export async function readHecToken(file: string): Promise<string> {
  try {
    await assertOwnerOnly(file, 'the HEC token file');
  } catch (error) {
    throw new Error((error as Error).message);
  }
  const token = (await readFile(file, 'utf8')).trim();
  if (!/^[\x21-\x7e]{1,512}$/.test(token))
    throw new Error(`the HEC token file ${file} must hold one token (visible ASCII, one line)`);
  return token;
}
