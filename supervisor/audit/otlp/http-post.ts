// One bounded HTTP POST for the exporters: a deadline on the whole exchange (a slowloris
// receiver cannot hold it), the answer's body read up to a cap, and the OTLP retry contract:
// only 429, 502, 503, 504 and connection failures are retried, with full-jitter exponential
// backoff that honours Retry-After, and never past the caller's deadline.

import http from 'node:http';
import https from 'node:https';

export interface PostAnswer {
  status: number;
  /** The answer's body text (at most `maxAnswerBytes`; longer bodies are cut). */
  text: string;
  headers: Headers;
  /** The whole request body was handed to the OS before the answer ended (its buffer is free). */
  sent: boolean;
}

export interface RetryOptions {
  /** Give up retrying at this time (epoch ms). */
  deadline: number;
  /** One exchange's limit. */
  timeoutMs?: number;
  baseMs?: number;
  capMs?: number;
  maxAnswerBytes?: number;
  /** Test seam for the jitter (0 ≤ x < 1). */
  random?: () => number;
}

export const RETRYABLE = new Set([429, 502, 503, 504]);

export class PostFailed extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

// Connections are kept between requests (an export sends many in a row); a few per origin.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 8 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

function timedOut(): Error {
  const error = new Error('timed out');
  error.name = 'TimeoutError';
  return error;
}

/** One POST through node:http (no body copy, no web streams): the answer read up to the cap. */
export function postOnce(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
  maxAnswerBytes: number,
): Promise<PostAnswer> {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return Promise.reject(new TypeError('only http(s)'));
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise<PostAnswer>((resolve, reject) => {
    const request = (u.protocol === 'https:' ? https : http).request(u, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(bytes.length) },
      agent: u.protocol === 'https:' ? agents['https:'] : agents['http:'],
    });
    // A deadline on the whole exchange: a receiver trickling its answer cannot hold it.
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      request.destroy(timedOut());
    }, timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on('error', fail);
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        const answer = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          try {
            if (v !== undefined) answer.set(k, Array.isArray(v) ? v.join(', ') : v);
          } catch {
            // A header the Fetch rules refuse is left out (only Retry-After is ever read).
          }
        }
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          headers: answer,
          sent: request.writableFinished,
        });
      };
      res.on('data', (c: Buffer) => {
        if (size < maxAnswerBytes) chunks.push(c.subarray(0, maxAnswerBytes - size));
        size += c.length;
        if (size >= maxAnswerBytes) {
          // The rest is not read: the connection is dropped, not reused.
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', fail);
      // Destroyed before its end (the deadline, a reset): a failure, whatever event says so.
      res.on('close', () => {
        if (!res.complete && size < maxAnswerBytes)
          fail(expired ? timedOut() : new Error('the answer was cut off'));
      });
    });
    request.end(bytes);
  });
}

/** Retry-After as milliseconds (seconds or an HTTP date), or null. */
export function retryAfterMs(value: string | null, now: number): number | null {
  if (!value) return null;
  if (/^\d{1,6}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** POST until a non-retryable answer or the deadline; a retryable answer at the deadline throws. */
export async function postWithRetry(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  o: RetryOptions,
): Promise<PostAnswer & { attempts: number }> {
  const base = o.baseMs ?? 100;
  const cap = o.capMs ?? 5000;
  const random = o.random ?? Math.random;
  let last = 'no attempt';
  let lastStatus: number | null = null;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const left = o.deadline - Date.now();
    if (left <= 0) break;
    let wait: number;
    try {
      const answer = await postOnce(
        url,
        body,
        headers,
        Math.min(o.timeoutMs ?? 30_000, left),
        o.maxAnswerBytes ?? 64 * 1024,
      );
      if (!RETRYABLE.has(answer.status)) return { ...answer, attempts: attempt + 1 };
      last = `HTTP ${answer.status}`;
      lastStatus = answer.status;
      const jitter = Math.floor(random() * Math.min(cap, base * 2 ** Math.min(attempt, 20)));
      wait = retryAfterMs(answer.headers.get('retry-after'), Date.now()) ?? jitter;
    } catch (error) {
      last =
        (error as Error).name === 'TimeoutError'
          ? 'timed out'
          : String((error as Error).cause ?? (error as Error).message);
      lastStatus = null;
      wait = Math.floor(random() * Math.min(cap, base * 2 ** Math.min(attempt, 20)));
    }
    if (Date.now() + wait >= o.deadline) break;
    await new Promise((r) => setTimeout(r, wait));
  }
  throw new PostFailed(`${url}: ${last} (gave up retrying)`, lastStatus);
}
