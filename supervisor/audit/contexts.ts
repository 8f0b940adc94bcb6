// The writers' contexts: the OCSF device and Warden version every record of schema 2 is
// mapped with. Stored once per distinct context in the `contexts` table and referenced by id
// from each record; each record's hash covers the context's text (chain.ts), so editing a
// context breaks every record that uses it.

import type Database from 'better-sqlite3';
import { canonicalJson } from './canonical.ts';
import type { OcsfContext } from './ocsf-shared.ts';

/** Canonical JSON text of a context, as stored and hashed. */
export function contextText(ctx: OcsfContext): string {
  return canonicalJson({ device: ctx.device, version: ctx.version });
}

/** Stands in for a context row that is missing (verify reports the records as edited). */
const MISSING: OcsfContext = {
  device: { hostname: '(unknown: audit context missing)', os: { name: 'Other', type: 'Other', type_id: 99 } },
  version: '0.0.0',
};

export class ContextTable {
  readonly #db: Database.Database;
  readonly #enabled: boolean;
  readonly #text = new Map<number, string>();
  readonly #parsed = new Map<number, OcsfContext>();
  #select: Database.Statement | null = null;

  constructor(db: Database.Database, enabled: boolean) {
    this.#db = db;
    this.#enabled = enabled;
  }

  /** The stored text of context `id` (null when there is no such row). */
  text(id: number): string | null {
    const known = this.#text.get(id);
    if (known !== undefined || !this.#enabled) return known ?? null;
    // Another writer process may have added one since: read the row.
    this.#select ??= this.#db.prepare('SELECT body FROM contexts WHERE id = ?').pluck();
    const text = this.#select.get(id) as string | undefined;
    if (text === undefined) return null;
    this.#text.set(id, text);
    return text;
  }

  /** The context `id` as the OCSF mapper takes it. */
  context(id: number): OcsfContext {
    let ctx = this.#parsed.get(id);
    if (ctx) return ctx;
    const text = this.text(id);
    if (text === null) return MISSING;
    try {
      ctx = JSON.parse(text) as OcsfContext;
    } catch {
      return MISSING;
    }
    this.#parsed.set(id, ctx);
    return ctx;
  }

  /** Remember a context this connection has just committed. */
  remember(id: number, text: string): void {
    this.#text.set(id, text);
  }
}
