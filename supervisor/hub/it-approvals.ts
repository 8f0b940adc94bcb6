// IT's approvals inbox on the hub: the cards devices post for requests an organisation rule
// sends to IT, IT's answers (signed with the hub key for the one device that asked, recorded
// in the chained admin actions), and the long poll a device waits on for them. Its own table
// over the admin driver (SQLite or PostgreSQL). A poll wakes at once on an answer given by
// this process, and re-reads the table every POLL_MS for answers given by another hub process.

import { EventEmitter } from 'node:events';
import { WardenError } from '../api/errors.ts';
import {
  HUB_IT_LIMITS,
  type HubItAnswer,
  type HubItApprovalView,
  type HubItCard,
  type HubItPost,
  type HubItState,
  itAnswerText,
} from '../api/hub-approvals.ts';
import { type NoteSigner, signNote } from '../tlog/note.ts';
import type { AdminDb } from './admin-db.ts';
import type { AdminStore } from './admin-store.ts';
import type { DeviceRow } from './store.ts';

const POLL_MS = 500;

const SCHEMA = (pgsql: boolean) => {
  const int = pgsql ? 'bigint' : 'INTEGER';
  return [
    `CREATE TABLE IF NOT EXISTS hub_it_approvals (id TEXT PRIMARY KEY, device TEXT NOT NULL, card TEXT NOT NULL, ` +
      `state TEXT NOT NULL, received ${int} NOT NULL, decision TEXT, by_admin TEXT, answered ${int}, ` +
      `note TEXT, delivered ${int} NOT NULL DEFAULT 0)`,
    'CREATE INDEX IF NOT EXISTS hub_it_approvals_device ON hub_it_approvals (device, state)',
  ];
};

interface Row {
  id: string;
  device: string;
  card: string;
  state: HubItState;
  received: number | string;
  decision: 'allow' | 'deny' | null;
  by_admin: string | null;
  answered: number | string | null;
  note: string | null;
  delivered: number | string;
}

export class HubItApprovals {
  readonly #db: AdminDb;
  readonly #answered = new EventEmitter();

  private constructor(db: AdminDb) {
    this.#db = db;
    this.#answered.setMaxListeners(0);
  }

  static async open(db: AdminDb): Promise<HubItApprovals> {
    for (const sql of SCHEMA(db.kind === 'postgres')) await db.run(sql);
    return new HubItApprovals(db);
  }

  /** A device's new cards; its pending approvals it no longer holds are withdrawn. */
  async post(device: string, body: HubItPost, now: number): Promise<{ stored: number }> {
    const open = new Set(body.open);
    let stored = 0;
    await this.#db.tx(async (db) => {
      for (const card of body.cards) {
        const had = await db.all<{ device: string }>('SELECT device FROM hub_it_approvals WHERE id = ?', [
          card.id,
        ]);
        if (had[0]) {
          if (had[0].device !== device)
            throw new WardenError('Forbidden', `approval ${card.id} belongs to another device`);
          continue;
        }
        await db.run(
          'INSERT INTO hub_it_approvals (id, device, card, state, received) VALUES (?, ?, ?, ?, ?)',
          [card.id, device, JSON.stringify(card), open.has(card.id) ? 'pending' : 'withdrawn', now],
        );
        stored++;
      }
      const pending = await db.all<{ id: string }>(
        "SELECT id FROM hub_it_approvals WHERE device = ? AND state = 'pending'",
        [device],
      );
      for (const { id } of pending)
        if (!open.has(id))
          await db.run("UPDATE hub_it_approvals SET state = 'withdrawn' WHERE id = ? AND state = 'pending'", [
            id,
          ]);
    });
    return { stored };
  }

  /** IT answers once: signed for the device that asked, on the admin chain. */
  async answer(
    id: string,
    decision: 'allow' | 'deny',
    by: string,
    now: number,
    signer: NoteSigner,
    admin: AdminStore,
  ): Promise<HubItApprovalView> {
    const row = (await this.#db.all<Row>('SELECT * FROM hub_it_approvals WHERE id = ?', [id]))[0];
    if (!row) throw new WardenError('ApprovalNotFound', `no approval ${id} on this hub`, 'Reload the page.');
    if (row.state !== 'pending') throw closed(row);
    const note = signNote(itAnswerText({ id, decision, by, at: now }, row.device), [signer]);
    const changed = await this.#db.run(
      "UPDATE hub_it_approvals SET state = 'answered', decision = ?, by_admin = ?, answered = ?, note = ? " +
        "WHERE id = ? AND state = 'pending'",
      [decision, by, now, note, id],
    );
    if (changed !== 1)
      throw closed((await this.#db.all<Row>('SELECT * FROM hub_it_approvals WHERE id = ?', [id]))[0]!);
    const card = JSON.parse(row.card) as HubItCard;
    await admin.record(
      now,
      by,
      `approval.${decision}`,
      `${row.device} ${id} ${card.method} ${card.scheme}://${card.host}:${card.port}${card.path}${card.mcp ? ` ${card.mcp.method} ${card.mcp.name}` : ''}${card.package ? ` npm ${card.package.name}@${card.package.version}` : ''}`,
    );
    this.#answered.emit(row.device);
    return view({ ...row, state: 'answered', decision, by_admin: by, answered: now, note }, null);
  }

  /** IT's inbox: what waits (default), or the latest of every state. */
  async list(
    state: 'pending' | 'all',
    names: Map<string, string>,
    limit = 200,
  ): Promise<HubItApprovalView[]> {
    const rows =
      state === 'pending'
        ? await this.#db.all<Row>(
            "SELECT * FROM hub_it_approvals WHERE state = 'pending' ORDER BY received LIMIT ?",
            [limit],
          )
        : await this.#db.all<Row>('SELECT * FROM hub_it_approvals ORDER BY received DESC LIMIT ?', [limit]);
    return rows.map((r) => view(r, names.get(r.device) ?? null));
  }

  /**
   * The device's answers not yet delivered, waiting up to `waitMs` for one (bounded: a poll
   * ends at the wait, when the request is aborted, or on an answer). Delivered once.
   */
  async take(device: string, waitMs: number, signal: AbortSignal): Promise<HubItAnswer[]> {
    const deadline = Date.now() + Math.min(waitMs, HUB_IT_LIMITS.maxWaitMs);
    for (;;) {
      if (signal.aborted) return [];
      const found = await this.#deliver(device);
      if (found.length || Date.now() >= deadline || signal.aborted) return found;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#answered.off(device, done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
        this.#answered.on(device, done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  async #deliver(device: string): Promise<HubItAnswer[]> {
    const any = await this.#db.all(
      "SELECT 1 FROM hub_it_approvals WHERE device = ? AND state = 'answered' AND delivered = 0 LIMIT 1",
      [device],
    );
    if (!any.length) return [];
    return this.#db.tx(async (db) => {
      const rows = await db.all<Row>(
        "SELECT * FROM hub_it_approvals WHERE device = ? AND state = 'answered' AND delivered = 0",
        [device],
      );
      const out: HubItAnswer[] = [];
      for (const r of rows) {
        if (
          (await db.run('UPDATE hub_it_approvals SET delivered = 1 WHERE id = ? AND delivered = 0', [
            r.id,
          ])) !== 1
        )
          continue;
        out.push({ id: r.id, decision: r.decision!, by: r.by_admin!, at: Number(r.answered), note: r.note! });
      }
      return out;
    });
  }
}

function closed(row: Row): WardenError {
  const what =
    row.state === 'answered'
      ? `was already answered ${row.decision} by ${row.by_admin}`
      : 'was withdrawn by its device (it expired or its sandbox went away)';
  return new WardenError('ApprovalClosed', `approval ${row.id} ${what}`, 'Reload the page.');
}

function view(r: Row, deviceName: string | null): HubItApprovalView {
  return {
    ...(JSON.parse(r.card) as HubItCard),
    device: r.device,
    deviceName,
    state: r.state,
    received: Number(r.received),
    answer:
      r.state === 'answered'
        ? {
            decision: r.decision!,
            by: r.by_admin!,
            at: Number(r.answered),
            delivered: Number(r.delivered) === 1,
          }
        : null,
  };
}

/** Each device's name for the inbox: `user@machine`. */
export async function deviceNames(service: {
  store: { devices(): Promise<DeviceRow[]> };
}): Promise<Map<string, string>> {
  return new Map((await service.store.devices()).map((d) => [d.id, `${d.user}@${d.machine}`]));
}
