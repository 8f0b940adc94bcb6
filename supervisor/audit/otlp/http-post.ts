// One bounded HTTP POST for the exporters: a deadline on the whole exchange (a slowloris
// receiver cannot hold it), the answer's body read up to a cap, and the OTLP retry contract:
// only 429, 502, 503, 504 and connection failures are retried, with full-jitter exponential
// backoff that honours Retry-After, and never past the caller's deadline.

export interface PostAnswer {
  status: number;
  /** The answer's body text (at most `maxAnswerBytes`; longer bodies are cut). */
  text: string;
  headers: Headers;
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

async function readCapped(res: Response, cap: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = cap - size;
    chunks.push(value.subarray(0, Math.max(0, room)));
    size += value.length;
    if (size >= cap) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function postOnce(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
  maxAnswerBytes: number,
): Promise<PostAnswer> {
  const signal = AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, {
    method: 'POST',
    body: body as BodyInit,
    headers,
    signal,
    redirect: 'manual',
  });
  const text = await readCapped(res, maxAnswerBytes);
  return { status: res.status, text, headers: res.headers };
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
