// A proxy listener's credential (security model rule 7): a random secret given only to the
// sandbox or process the listener was made for, which its clients send as proxy
// authentication (`http://warden:<credential>@127.0.0.1:PORT` in HTTP_PROXY, sent as
// `Proxy-Authorization: Basic ...` on forward requests, CONNECT and upgrades). Checked in
// constant time; it never appears in a log, an audit record, an error message or argv.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

/** The user name in a listener's proxy URL (the password is the credential). */
export const PROXY_USER = 'warden';
/** The realm of the `Proxy-Authenticate` challenge. */
export const PROXY_REALM = 'warden';

/** 24 random bytes: 192 bits, 32 URL-safe characters (no percent-encoding needed in a URL). */
const CREDENTIAL_BYTES = 24;
const BASIC = /^\s*basic\s+([A-Za-z0-9+/_-]+={0,2})\s*$/i;

export type ProxyAuthResult = 'ok' | 'missing' | 'wrong';

function digest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

export class ProxyCredential {
  readonly #secret: string;
  /** SHA-256 of `warden:<secret>`: equal-length digests make the comparison constant-time. */
  readonly #expected: Buffer;

  constructor(secret: string = randomBytes(CREDENTIAL_BYTES).toString('base64url')) {
    this.#secret = secret;
    this.#expected = digest(Buffer.from(`${PROXY_USER}:${secret}`, 'utf8'));
  }

  /** The proxy URL a client uses: `http://warden:<credential>@HOST:PORT`. A secret. */
  url(host: string, port: number): string {
    const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    return `http://${PROXY_USER}:${this.#secret}@${h}:${port}`;
  }

  /** The `Proxy-Authorization` value a client sends. A secret. */
  header(): string {
    return `Basic ${Buffer.from(`${PROXY_USER}:${this.#secret}`, 'utf8').toString('base64')}`;
  }

  /** Checks a request's `Proxy-Authorization` header. */
  check(header: string | string[] | undefined): ProxyAuthResult {
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value.trim() === '') return 'missing';
    const m = BASIC.exec(value);
    const presented = digest(m ? Buffer.from(m[1] ?? '', 'base64') : Buffer.from(value, 'utf8'));
    const same = timingSafeEqual(presented, this.#expected);
    return same && m ? 'ok' : 'wrong';
  }

  toJSON(): string {
    return '[proxy credential]';
  }

  toString(): string {
    return '[proxy credential]';
  }

  [inspect.custom](): string {
    return 'ProxyCredential [hidden]';
  }
}
