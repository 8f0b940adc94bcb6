// Proxy authentication for raw-socket tests: every listener serves only clients that send
// its credential (the user-info of the listener's clientProxyUrl) as Proxy-Authorization.

/** The `Proxy-Authorization` value for a proxy URL with a credential in it. */
export function proxyAuthorization(proxyUrl: string): string {
  const u = new URL(proxyUrl);
  const userinfo = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  return `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}`;
}

/**
 * `head` (raw request bytes) with a `Proxy-Authorization` line after its request line; only
 * the first request of `head` gets one (what follows may be a body or a smuggled request).
 */
export function withProxyAuth<T extends string | Buffer>(head: T, proxyUrl: string): T {
  const text = Buffer.isBuffer(head) ? head.toString('latin1') : head;
  const eol = text.indexOf('\r\n');
  if (eol < 0) return head;
  const out = `${text.slice(0, eol)}\r\nProxy-Authorization: ${proxyAuthorization(proxyUrl)}${text.slice(eol)}`;
  return (Buffer.isBuffer(head) ? Buffer.from(out, 'latin1') : out) as T;
}

/** A proxy URL without its credential (what another user on the machine could know). */
export function withoutCredential(proxyUrl: string): string {
  const u = new URL(proxyUrl);
  return `${u.protocol}//${u.host}`;
}
