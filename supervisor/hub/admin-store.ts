// What the hub's admin page reads and changes: admin accounts (scrypt), the chained table of
// admin actions, alert acknowledgements, enrollment tokens, and events across devices
// (admin-events.ts).

import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { WardenError } from '../api/errors.ts';
import type { HubAlertKind } from '../api/hub.ts';
import type {
  HubAdminAction,
  HubAlertView,
  HubEventFilter,
  HubEventPage,
  HubTokenView,
} from '../api/hub-admin.ts';
import { HUB_ADMIN_LIMITS } from '../api/hub-admin.ts';
import type { AdminDb } from './admin-db.ts';
import { eventsPage } from './admin-events.ts';

const scryptAsync = promisify(scrypt) as (
  pw: string,
  salt: Buffer,
  len: number,
  o: object,
) => Promise<Buffer>;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const GENESIS = '0'.repeat(64);

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, salt, key] = stored.split('$');
  if (tag !== 'scrypt' || !salt || !key) return false;
  const want = Buffer.from(key, 'base64');
  const got = await scryptAsync(password, Buffer.from(salt, 'base64'), want.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return timingSafeEqual(got, want);
}

/** A hash of a password no account has: sign-in for an unknown name costs the same. */
let decoy: Promise<string> | undefined;

const actionHash = (prev: string, at: number, admin: string, action: string, detail: string): string =>
  createHash('sha256')
    .update(prev)
    .update(JSON.stringify([at, admin, action, detail]))
    .digest('hex');

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class AdminStore {
  constructor(readonly db: AdminDb) {}

  async createAdmin(name: string, password: string, now: number): Promise<void> {
    if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name))
      throw new WardenError(
        'BadRequest',
        `invalid admin name ${JSON.stringify(name.slice(0, 64))}`,
        'Use letters, digits and . _ @ -',
      );
    if (password.length < HUB_ADMIN_LIMITS.passwordMinLength)
      throw new WardenError(
        'BadRequest',
        `the password is shorter than ${HUB_ADMIN_LIMITS.passwordMinLength} characters`,
      );
    const hash = await hashPassword(password);
    await this.db.tx(async (db) => {
      const had = await db.all('SELECT 1 FROM hub_admins WHERE name = ?', [name]);
      if (had.length) await db.run('UPDATE hub_admins SET hash = ? WHERE name = ?', [hash, name]);
      else await db.run('INSERT INTO hub_admins (name, hash, created) VALUES (?, ?, ?)', [name, hash, now]);
      await this.#record(db, now, 'cli', had.length ? 'admin.password' : 'admin.create', name);
    });
  }

  /** True when the name and password match an account (constant work for unknown names). */
  async verify(name: string, password: string): Promise<boolean> {
    const rows = await this.db.all<{ hash: string }>('SELECT hash FROM hub_admins WHERE name = ?', [name]);
    if (!rows[0]) {
      decoy ??= hashPassword(randomBytes(16).toString('hex'));
      await checkPassword(password, await decoy);
      return false;
    }
    return checkPassword(password, rows[0].hash);
  }

  /** Append to the chained table of admin actions. */
  record(at: number, admin: string, action: string, detail: string): Promise<void> {
    return this.db.tx((db) => this.#record(db, at, admin, action, detail));
  }

  async #record(db: AdminDb, at: number, admin: string, action: string, detail: string): Promise<void> {
    const last = await db.all<{ hash: string }>(
      'SELECT hash FROM hub_admin_actions ORDER BY id DESC LIMIT 1',
    );
    const prev = last[0]?.hash ?? GENESIS;
    await db.run(
      'INSERT INTO hub_admin_actions (at, admin, action, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
      [at, admin, action, detail, prev, actionHash(prev, at, admin, action, detail)],
    );
  }

  async actions(limit = 200): Promise<HubAdminAction[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT id, at, admin, action, detail, hash FROM hub_admin_actions ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({ ...(r as unknown as HubAdminAction), id: num(r.id), at: num(r.at) }));
  }

  /** Re-derive every action's hash; returns the ids whose chain link is broken. */
  async verifyActions(): Promise<number[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT id, at, admin, action, detail, prev_hash, hash FROM hub_admin_actions ORDER BY id',
    );
    const broken: number[] = [];
    let prev = GENESIS;
    for (const r of rows) {
      const want = actionHash(prev, num(r.at), String(r.admin), String(r.action), String(r.detail));
      if (r.prev_hash !== prev || r.hash !== want) broken.push(num(r.id));
      prev = String(r.hash);
    }
    return broken;
  }

  /** The event time of a device's record (null: not held). */
  async recordTime(device: string, seq: number): Promise<number | null> {
    const rows = await this.db.all<{ time: unknown }>(
      'SELECT time FROM records WHERE device = ? AND seq = ?',
      [device, seq],
    );
    return rows[0] ? num(rows[0].time) : null;
  }

  async alerts(limit = 500): Promise<HubAlertView[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT a.id, a.device, a.kind, a.seq, a.message, a.at, k.admin, k.note, k.at AS ack_at FROM alerts a ' +
        'LEFT JOIN hub_alert_acks k ON k.alert = a.id ORDER BY a.id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => ({
      id: num(r.id),
      device: String(r.device),
      kind: r.kind as HubAlertKind,
      seq: numOrNull(r.seq),
      message: String(r.message),
      at: num(r.at),
      ack: r.admin == null ? null : { admin: String(r.admin), note: String(r.note), at: num(r.ack_at) },
    }));
  }

  async acknowledge(id: number, admin: string, note: string, at: number): Promise<void> {
    await this.db.tx(async (db) => {
      if (!(await db.all('SELECT 1 FROM alerts WHERE id = ?', [id])).length)
        throw new WardenError('NotFound', `no alert ${id}`);
      if ((await db.all('SELECT 1 FROM hub_alert_acks WHERE alert = ?', [id])).length)
        throw new WardenError('BadRequest', `alert ${id} is already acknowledged`);
      await db.run('INSERT INTO hub_alert_acks (alert, admin, note, at) VALUES (?, ?, ?, ?)', [
        id,
        admin,
        note,
        at,
      ]);
      await this.#record(db, at, admin, 'alert.ack', JSON.stringify({ id, note }));
    });
  }

  async tokens(): Promise<HubTokenView[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT hash, created, expires, spent, device FROM tokens ORDER BY created DESC LIMIT 500',
    );
    return rows.map((r) => ({
      id: String(r.hash),
      created: num(r.created),
      expires: num(r.expires),
      spent: numOrNull(r.spent),
      device: r.device == null ? null : String(r.device),
    }));
  }

  async expireToken(id: string, admin: string, at: number): Promise<void> {
    await this.db.tx(async (db) => {
      const n = await db.run(
        'UPDATE tokens SET expires = ? WHERE hash = ? AND spent IS NULL AND expires > ?',
        [at, id, at],
      );
      if (n === 0) throw new WardenError('NotFound', 'no unspent, unexpired token with that id');
      await this.#record(db, at, admin, 'token.expire', id);
    });
  }

  events(f: HubEventFilter): Promise<HubEventPage> {
    return eventsPage(this.db, f);
  }
}
