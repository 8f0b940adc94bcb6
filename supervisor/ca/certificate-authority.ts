// The per-install certificate authority the egress proxy uses to terminate TLS. One leaf
// key pair per instance is reused for every host; leaves are cached in a bounded LRU and
// concurrent requests for the same host share one mint.

import tls from 'node:tls';
import { type CaMaterial, caPaths, loadOrCreateCaFiles } from './ca-files.ts';
import { createLeafMinter, type LeafMinter } from './leaf.ts';
import { parseLeafHost } from './leaf-host.ts';
import { LruMap } from './lru.ts';
import { EC_KEY, subtle, x509 } from './x509-provider.ts';

export const DEFAULT_LEAF_CACHE_SIZE = 2000;
/** A cached leaf this close to its expiry is minted again. */
const RENEW_BEFORE_MS = 3_600_000;

export interface CertificateAuthorityOptions {
  /** Most leaves kept (default 2,000). */
  cacheSize?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

interface CachedLeaf {
  pem: string;
  notAfter: number;
  context: tls.SecureContext;
}

export class CertificateAuthority {
  readonly certPem: string;
  readonly certPath: string;
  /** SHA-256 of the certificate, colon-separated upper-case hex (as Node's `fingerprint256`). */
  readonly fingerprint256: string;
  readonly subject: string;
  readonly notAfter: Date;

  readonly #caPem: string;
  readonly #mint: LeafMinter;
  readonly #leafKeyPem: string;
  readonly #now: () => Date;
  readonly #cache: LruMap<string, CachedLeaf>;
  readonly #inflight = new Map<string, Promise<CachedLeaf>>();
  #mints = 0;

  private constructor(
    dir: string,
    ca: CaMaterial,
    mint: LeafMinter,
    leafKeyPem: string,
    options: CertificateAuthorityOptions,
  ) {
    this.#caPem = ca.certPem;
    this.#mint = mint;
    this.#leafKeyPem = leafKeyPem;
    this.#now = options.now ?? (() => new Date());
    this.#cache = new LruMap(options.cacheSize ?? DEFAULT_LEAF_CACHE_SIZE);
    this.certPem = ca.certPem;
    this.certPath = caPaths(dir).cert;
    this.fingerprint256 = ca.nodeCert.fingerprint256;
    this.subject = ca.cert.subject;
    this.notAfter = ca.cert.notAfter;
  }

  /**
   * Load the CA kept in `dir`, or create one there (folder 0700, key 0600) when the folder
   * has neither `ca.pem` nor `ca-key.pem`. A damaged, mismatched or group/world-readable
   * CA is an error that says what to do; it is never replaced silently.
   */
  static async loadOrCreate(
    dir: string,
    options: CertificateAuthorityOptions = {},
  ): Promise<CertificateAuthority> {
    const now = options.now ?? (() => new Date());
    const ca = await loadOrCreateCaFiles(dir, now());
    // One leaf key pair per instance, kept in memory only, shared by every leaf.
    const pair = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const leafKeyPem = x509.PemConverter.encode(
      await subtle.exportKey('pkcs8', pair.privateKey),
      'PRIVATE KEY',
    );
    const mint = await createLeafMinter(ca, pair.publicKey);
    return new CertificateAuthority(dir, ca, mint, leafKeyPem, options);
  }

  /** A TLS context (leaf + CA chain) for `host`, a DNS name or an IP address. */
  async secureContextFor(host: string): Promise<tls.SecureContext> {
    return (await this.#leaf(host)).context;
  }

  /** The leaf certificate (PEM) served for `host`; minted if needed. For tests and inspection. */
  async leafPem(host: string): Promise<string> {
    return (await this.#leaf(host)).pem;
  }

  /** How many leaves this instance has minted (cache misses). */
  get mintCount(): number {
    return this.#mints;
  }

  get cacheSize(): number {
    return this.#cache.size;
  }

  #leaf(host: string): Promise<CachedLeaf> {
    const leafHost = parseLeafHost(host);
    const key = leafHost.name;
    const cached = this.#cache.get(key);
    if (cached && cached.notAfter - RENEW_BEFORE_MS > this.#now().getTime()) return Promise.resolve(cached);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const minting = (async () => {
      this.#mints += 1;
      const minted = await this.#mint(leafHost, this.#now());
      const context = tls.createSecureContext({
        key: this.#leafKeyPem,
        cert: `${minted.pem}\n${this.#caPem}`,
      });
      const leaf: CachedLeaf = { pem: minted.pem, notAfter: minted.notAfter.getTime(), context };
      this.#cache.set(key, leaf);
      return leaf;
    })();
    this.#inflight.set(key, minting);
    const settle = () => this.#inflight.delete(key);
    minting.then(settle, settle);
    return minting;
  }

  toString(): string {
    return `CertificateAuthority(${this.subject}, ${this.fingerprint256})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
