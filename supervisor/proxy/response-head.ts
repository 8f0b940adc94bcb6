// The head of an upstream's answer, read by the proxy's own plain-HTTP client
// (raw-upstream.ts): the status line and header lines, strictly (RFC 9112), and how its body
// is framed. An answer framed two ways, or with lines a lenient parser would read
// differently, is refused: the proxy relays what it read, so any disagreement about where
// the body ends would let an upstream smuggle bytes into the client's next answer.

/** The longest head accepted (status line and headers). */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** How the body after a head ends. */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  /** Read until the upstream closes (no length, not chunked): the connection is not reused. */
  | { kind: 'close' };

export interface ResponseHead {
  status: number;
  statusMessage: string;
  /** Names and values alternating, as sent (the shape of Node's `rawHeaders`). */
  rawHeaders: string[];
  framing: Framing;
  /** The connection may carry another request after this answer's body. */
  keepAlive: boolean;
  /** Bytes of the head, up to and including the empty line. */
  length: number;
}

export class MalformedAnswer extends Error {}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value: visible characters, spaces and tabs, obs-text; no other control character. */
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * Parse the head at `buf[start..end)`: null while the empty line that ends it has not
 * arrived. `method` is the request's (a HEAD answer has no body). Throws MalformedAnswer.
 */
export function parseResponseHead(
  buf: Buffer,
  start: number,
  end: number,
  method: string,
): ResponseHead | null {
  const stop = buf.indexOf('\r\n\r\n', start, 'latin1');
  if (stop === -1 || stop + 4 > end) {
    if (end - start > MAX_RESPONSE_HEAD)
      throw new MalformedAnswer(`its head is longer than ${MAX_RESPONSE_HEAD} bytes`);
    return null;
  }
  if (stop + 4 - start > MAX_RESPONSE_HEAD)
    throw new MalformedAnswer(`its head is longer than ${MAX_RESPONSE_HEAD} bytes`);
  const lines = buf.toString('latin1', start, stop).split('\r\n');
  const m = STATUS_LINE.exec(lines[0] as string);
  if (!m) throw new MalformedAnswer(`its status line is not HTTP/1.x: "${shown(lines[0] as string)}"`);
  const minor = m[1] === '1';
  const status = Number(m[2]);
  const rawHeaders: string[] = [];
  let te: string | undefined;
  let length: number | undefined;
  let close = !minor;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    // An obs-fold line (leading space) has no name; a bare CR or LF hides a line in a line.
    if (colon <= 0) throw new MalformedAnswer(`its header line "${shown(line)}" has no field name`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new MalformedAnswer(`its header name "${shown(name)}" is not a token`);
    const value = trimOws(line.slice(colon + 1));
    if (BAD_VALUE.test(value)) throw new MalformedAnswer(`its ${name} header holds a control character`);
    rawHeaders.push(name, value);
    const lower = name.length === 17 || name.length === 14 || name.length === 10 ? name.toLowerCase() : '';
    if (lower === 'transfer-encoding') te = te === undefined ? value : `${te}, ${value}`;
    else if (lower === 'content-length') length = contentLength(value, length);
    else if (lower === 'connection') {
      for (const token of value.toLowerCase().split(',')) {
        const t = token.trim();
        if (t === 'close') close = true;
        else if (t === 'keep-alive' && !minor) close = false;
      }
    }
  }
  const framing = framingOf(status, method, te, length, minor);
  return {
    status,
    statusMessage: m[3] ?? '',
    rawHeaders,
    framing,
    keepAlive: !close && framing.kind !== 'close',
    length: stop + 4 - start,
  };
}

/** RFC 9112 §6.3, refusing what it calls an error or leaves to the recipient's guess. */
function framingOf(
  status: number,
  method: string,
  te: string | undefined,
  length: number | undefined,
  minor: boolean,
): Framing {
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'none' };
  if (te !== undefined) {
    if (length !== undefined) throw new MalformedAnswer('it has both Transfer-Encoding and Content-Length');
    if (!minor) throw new MalformedAnswer('it is HTTP/1.0 with a Transfer-Encoding');
    const codings = te.toLowerCase().split(',');
    const last = (codings[codings.length - 1] as string).trim();
    if (last !== 'chunked') return { kind: 'close' };
    if (codings.length > 1)
      throw new MalformedAnswer(`its transfer coding "${shown(te)}" is not relayed (only chunked is)`);
    return { kind: 'chunked' };
  }
  if (length !== undefined) return length === 0 ? { kind: 'none' } : { kind: 'length', length };
  return { kind: 'close' };
}

/** A Content-Length value (a list of equal decimals is one), agreeing with any before it. */
function contentLength(value: string, before: number | undefined): number {
  let found = before;
  for (const part of value.split(',')) {
    const digits = part.trim();
    if (!/^\d{1,15}$/.test(digits))
      throw new MalformedAnswer(`its Content-Length "${shown(value)}" is not a number`);
    const n = Number(digits);
    if (found !== undefined && found !== n)
      throw new MalformedAnswer('it has Content-Length values that differ');
    found = n;
  }
  return found as number;
}

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 32 || s.charCodeAt(a) === 9)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 32 || s.charCodeAt(b - 1) === 9)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** A bounded, printable rendering of what was read, for a message. */
function shown(s: string): string {
  return s.slice(0, 80).replace(/[\x00-\x1f\x7f-\xff]/g, '?');
}
