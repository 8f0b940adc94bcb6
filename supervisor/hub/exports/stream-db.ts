// What `GET /v1/export` reads: export tokens (made with `warden hub export token create`,
// kept only as SHA-256) and pages of records across devices in (time, device, seq) order,
// sought by keyset (a row-value comparison on the records_page index; never OFFSET). Runs
// over the hub's database with its own connection (the admin side's small SQL driver).

import { createHash, randomBytes } from 'node:crypto';
import { WardenError } from '../../api/errors.ts';
import type { HubRecord } from '../../api/hub.ts';
import type { AdminDb } from '../admin-db.ts';
import { type RecordColumns, recordFromRow } from '../rows.ts';

export interface StreamFilter {
  /** Event time ≥ since (epoch ms). */
  since?: number;
  /** Event time < until (epoch ms). */
  until?: number;
  device?: string;
  kind?: string;
  /** Resume after this position. */
  after?: StreamCursor;
}

export interface StreamCursor {
  time: number;
  device: string;
  seq: number;
}

export interface StreamRow extends HubRecord {
  device: string;
}

export interface ExportTokenView {
  name: string;
  created: number;
  expires: number;
}

const TOKEN_PREFIX = 'wexp_';
const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class ExportStreamDb {
  constructor(readonly db: AdminDb) {}

  async init(): Promise<this> {
    const int = this.db.kind === 'postgres' ? 'bigint' : 'INTEGER';
    await this.db.run(
      'CREATE TABLE IF NOT EXISTS hub_export_tokens (name TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, ' +
        `created ${int} NOT NULL, expires ${int} NOT NULL)`,
    );
    return this;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /** A new token (returned once; only its hash is kept). */
  async createToken(name: string, now: number, ttlMs: number): Promise<string> {
    if (!NAME.test(name))
      throw new WardenError(
        'BadRequest',
        `invalid token name ${JSON.stringify(name.slice(0, 64))}`,
        'Use a-z, 0-9 and -.',
      );
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const had = await this.db.all('SELECT 1 FROM hub_export_tokens WHERE name = ?', [name]);
    if (had.length)
      throw new WardenError(
        'BadRequest',
        `an export token named ${name} exists`,
        'Pick another --name or rm it first.',
      );
    await this.db.run('INSERT INTO hub_export_tokens (name, hash, created, expires) VALUES (?, ?, ?, ?)', [
      name,
      digest(token),
      now,
      now + ttlMs,
    ]);
    return token;
  }

  async tokens(): Promise<ExportTokenView[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT name, created, expires FROM hub_export_tokens ORDER BY name',
    );
    return rows.map((r) => ({
      name: String(r.name),
      created: Number(r.created),
      expires: Number(r.expires),
    }));
  }

  async removeToken(name: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM hub_export_tokens WHERE name = ?', [name])) > 0;
  }

  /** The name of the unexpired token, or undefined (unknown, expired or malformed). */
  async checkToken(token: string, now: number): Promise<string | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
    const rows = await this.db.all<{ name: string; expires: unknown }>(
      'SELECT name, expires FROM hub_export_tokens WHERE hash = ?',
      [digest(token)],
    );
    const row = rows[0];
    return row && Number(row.expires) > now ? row.name : undefined;
  }

  /** At most `limit` records after the filter's position, in (time, device, seq) order. */
  async page(f: StreamFilter, limit: number): Promise<StreamRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.device !== undefined) {
      where.push('device = ?');
      params.push(f.device);
    }
    if (f.kind !== undefined) {
      where.push('kind = ?');
      params.push(f.kind);
    }
    if (f.since !== undefined) {
      where.push('time >= ?');
      params.push(f.since);
    }
    if (f.until !== undefined) {
      where.push('time < ?');
      params.push(f.until);
    }
    if (f.after) {
      where.push('(time, device, seq) > (?, ?, ?)');
      params.push(f.after.time, f.after.device, f.after.seq);
    }
    params.push(limit);
    const rows = await this.db.all<RecordColumns & { device: string }>(
      'SELECT device, seq, time, kind, sandbox_id, "user", host, outcome, body, ctx, logged, prev_hash, hash ' +
        `FROM records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time, device, seq LIMIT ?`,
      params,
    );
    return rows.map((r) => ({ ...recordFromRow(r), device: String(r.device) }));
  }
}
