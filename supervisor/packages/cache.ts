// What the packuments said about each version, kept for the tarball requests that follow
// (publish time, install scripts, attestations, integrity). Bounded: the least recently used
// packages go first once the versions held pass the limit.

import type { VersionInfo } from './packument.ts';

export const CACHE_VERSION_LIMIT = 200_000;

export class VersionCache {
  readonly #byKey = new Map<string, Map<string, VersionInfo>>();
  #held = 0;

  constructor(private readonly limit = CACHE_VERSION_LIMIT) {}

  static key(registry: string, name: string): string {
    return `${registry}\u0000${name}`;
  }

  /** Replace what is known of a package (the versions a packument kept). */
  put(registry: string, name: string, versions: Map<string, VersionInfo>): void {
    const key = VersionCache.key(registry, name);
    this.#drop(key);
    if (versions.size > this.limit) return;
    this.#byKey.set(key, versions);
    this.#held += versions.size;
    for (const [k, v] of this.#byKey) {
      if (this.#held <= this.limit) break;
      this.#byKey.delete(k);
      this.#held -= v.size;
    }
  }

  /** The version's entry from the last packument seen; a package read is the most recent. */
  get(registry: string, name: string, version: string): VersionInfo | undefined {
    const key = VersionCache.key(registry, name);
    const versions = this.#byKey.get(key);
    if (!versions) return undefined;
    this.#byKey.delete(key);
    this.#byKey.set(key, versions);
    return versions.get(version);
  }

  #drop(key: string): void {
    const old = this.#byKey.get(key);
    if (!old) return;
    this.#byKey.delete(key);
    this.#held -= old.size;
  }
}
