// The package names fetched before on this device (a tarball relayed to its end), for
// `firstSeen: ask`. Kept in a JSON file in Warden's home, written when a new name is added;
// bounded (the oldest names are forgotten first).

import fs from 'node:fs';
import path from 'node:path';

export const SEEN_LIMIT = 100_000;

export class SeenPackages {
  #names: Set<string> | null = null;

  constructor(
    /** The file (absent: kept in memory only). */
    private readonly file?: string,
    private readonly limit = SEEN_LIMIT,
  ) {}

  has(ecosystem: string, name: string): boolean {
    return this.#load().has(`${ecosystem}:${name}`);
  }

  add(ecosystem: string, name: string): void {
    const names = this.#load();
    const key = `${ecosystem}:${name}`;
    if (names.has(key)) return;
    names.add(key);
    for (const old of names) {
      if (names.size <= this.limit) break;
      names.delete(old);
    }
    if (!this.file) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify([...names]), { mode: 0o600 });
      fs.renameSync(tmp, this.file);
    } catch {
      // Kept in memory; the next name added writes the file again.
    }
  }

  #load(): Set<string> {
    if (this.#names) return this.#names;
    let names: string[] = [];
    if (this.file) {
      try {
        const parsed: unknown = JSON.parse(fs.readFileSync(this.file, 'utf8'));
        if (Array.isArray(parsed)) names = parsed.filter((n): n is string => typeof n === 'string');
      } catch {
        // No file yet (or unreadable): nothing was seen.
      }
    }
    this.#names = new Set(names.slice(-this.limit));
    return this.#names;
  }
}
