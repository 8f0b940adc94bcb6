// Hop-by-hop headers (RFC 9110 §7.6.1) are for one connection and never forwarded. An h2c
// offer's HTTP2-Settings is one too (RFC 7540 §3.2.1): without it and Upgrade, a plain
// request cannot ask the upstream to switch protocols under the proxy.

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

const NONE: ReadonlySet<string> = new Set();
/** The names each Connection value seen lists (most clients send one of a few): read only. */
const LISTED = new Map<string, ReadonlySet<string>>();
const LISTED_MAX = 256;

/** Names listed in a Connection header are hop-by-hop too. */
function connectionListed(value: string | string[] | undefined): ReadonlySet<string> {
  if (value === undefined) return NONE;
  if (Array.isArray(value)) return namesIn(value);
  let listed = LISTED.get(value);
  if (listed) return listed;
  listed = namesIn([value]);
  if (LISTED.size >= LISTED_MAX) LISTED.clear();
  LISTED.set(value, listed);
  return listed;
}

function namesIn(values: string[]): ReadonlySet<string> {
  const out = new Set<string>();
  for (const v of values) {
    for (const name of v.split(',')) {
      const n = name.trim().toLowerCase();
      if (n) out.add(n);
    }
  }
  return out;
}

/** Copy raw header pairs, dropping hop-by-hop ones. Keeps the sender's order and case. */
export function endToEndRawHeaders(
  rawHeaders: string[],
  connection: string | string[] | undefined,
): string[] {
  const listed = connectionListed(connection);
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed.has(lower)) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * The same, reading the Connection header from the raw pairs themselves: a response's
 * header object is built on first use (a few µs per response on the hot path), so the
 * plain relay never asks for it.
 */
export function endToEndRaw(rawHeaders: string[]): string[] {
  const connection: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') connection.push(rawHeaders[i + 1]!);
  }
  return endToEndRawHeaders(rawHeaders, connection);
}

/** The same for a header object (lower-case names). */
export function endToEndHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}
