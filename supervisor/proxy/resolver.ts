// Name resolution for upstream connections. Addresses are resolved once, vetted by the
// policy (SSRF rules), and the vetted address is the one connected to, so a name cannot
// re-resolve to something else between the check and the connection.

import dns from 'node:dns';
import net from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

type LookupAll = (host: string) => Promise<ResolvedAddress[]>;

const systemLookup: LookupAll = async (host) => {
  const found = await dns.promises.lookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export class ResolveError extends Error {
  constructor(host: string, cause: string) {
    super(`could not resolve ${host}: ${cause}`);
    this.name = 'ResolveError';
  }
}

export interface ResolverOptions {
  /** Names pinned to addresses (like curl --resolve), checked before DNS. */
  overrides?: Map<string, string[]>;
  ttlMs?: number;
  lookup?: LookupAll;
  now?: () => number;
}

export class Resolver {
  readonly #overrides: Map<string, string[]>;
  readonly #ttlMs: number;
  readonly #lookup: LookupAll;
  readonly #now: () => number;
  readonly #cache = new Map<string, { at: number; addresses: Promise<ResolvedAddress[]> }>();

  constructor(options: ResolverOptions = {}) {
    this.#overrides = options.overrides ?? new Map();
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#lookup = options.lookup ?? systemLookup;
    this.#now = options.now ?? Date.now;
  }

  async resolve(host: string): Promise<ResolvedAddress[]> {
    const family = net.isIP(host);
    if (family) return [{ address: host, family: family === 6 ? 6 : 4 }];
    const pinned = this.#overrides.get(host);
    if (pinned) return pinned.map((address) => ({ address, family: net.isIP(address) === 6 ? 6 : 4 }));
    const now = this.#now();
    const hit = this.#cache.get(host);
    if (hit && now - hit.at < this.#ttlMs) return hit.addresses;
    const addresses = this.#lookup(host).then(
      (found) => {
        if (found.length === 0) throw new ResolveError(host, 'no addresses');
        return found;
      },
      (error: NodeJS.ErrnoException) => {
        this.#cache.delete(host);
        throw new ResolveError(host, error.code ?? error.message);
      },
    );
    this.#cache.set(host, { at: now, addresses });
    if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value!);
    return addresses;
  }
}

/** Parse `name=addr[,name=addr...]` (WARDEN_RESOLVE); several addresses per name with `|`. */
export function parseResolveOverrides(spec: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!spec) return out;
  for (const entry of spec.split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`WARDEN_RESOLVE entry "${trimmed}" is not name=address`);
    const name = trimmed.slice(0, eq).toLowerCase().replace(/\.$/, '');
    const addresses = trimmed
      .slice(eq + 1)
      .split('|')
      .map((a) => a.trim());
    for (const a of addresses) {
      if (!net.isIP(a)) throw new Error(`WARDEN_RESOLVE entry "${trimmed}": "${a}" is not an IP address`);
    }
    out.set(name, addresses);
  }
  return out;
}
