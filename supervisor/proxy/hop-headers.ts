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

/** Names listed in a Connection header are hop-by-hop too. */
function connectionListed(value: string | string[] | undefined): Set<string> {
  const out = new Set<string>();
  for (const v of Array.isArray(value) ? value : value ? [value] : []) {
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
