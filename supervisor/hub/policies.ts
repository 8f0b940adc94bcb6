// The organisation policies the hub pushes: each `warden hub policy set` stores the YAML and
// a signed note over its hash with the next serial (for every device, or a group); devices
// may be put in a group; each heartbeat records the hash the device enforces, so the device
// list can flag an old or a modified one. Its own tables over the admin driver (SQLite or
// PostgreSQL), beside the hub's store.

import { WardenError } from '../api/errors.ts';
import { HUB_POLICY_MAX_BYTES, HUB_POLICY_NOTE_HEADER, type HubPolicyDocument } from '../api/hub.ts';
import type { HubDevicePolicyState, HubDevicePolicyView } from '../api/hub-admin.ts';
import { formatPolicyError, parsePolicy, policyHash } from '../policy/index.ts';
import { type NoteSigner, signNote } from '../tlog/note.ts';
import type { AdminDb } from './admin-db.ts';

/** The group of a policy meant for every device without a group policy of its own. */
export const ALL_DEVICES = '*';
const GROUP_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface StoredPolicy extends HubPolicyDocument {
  serial: number;
  group: string;
  hash: string;
  created: number;
}

const SCHEMA = (pgsql: boolean) => {
  const int = pgsql ? 'bigint' : 'INTEGER';
  return [
    `CREATE TABLE IF NOT EXISTS hub_policies (serial ${int} PRIMARY KEY, grp TEXT NOT NULL, hash TEXT NOT NULL, ` +
      `yaml TEXT NOT NULL, note TEXT NOT NULL, created ${int} NOT NULL)`,
    'CREATE TABLE IF NOT EXISTS hub_device_groups (device TEXT PRIMARY KEY, grp TEXT NOT NULL)',
    `CREATE TABLE IF NOT EXISTS hub_device_policy (device TEXT PRIMARY KEY, hash TEXT, at ${int} NOT NULL)`,
  ];
};

interface PolicyRow {
  serial: number | string;
  grp: string;
  hash: string;
  yaml: string;
  note: string;
  created: number | string;
}

const fromRow = (r: PolicyRow): StoredPolicy => ({
  serial: Number(r.serial),
  group: r.grp,
  hash: r.hash,
  yaml: r.yaml,
  note: r.note,
  created: Number(r.created),
});

export function checkGroup(group: string): string {
  if (group !== ALL_DEVICES && !GROUP_PATTERN.test(group)) {
    throw new WardenError(
      'BadRequest',
      `invalid group ${JSON.stringify(group.slice(0, 80))}`,
      'A group is 1-64 letters, digits, dots, dashes or underscores.',
    );
  }
  return group;
}

export class HubPolicies {
  readonly #db: AdminDb;

  private constructor(db: AdminDb) {
    this.#db = db;
  }

  static async open(db: AdminDb): Promise<HubPolicies> {
    for (const sql of SCHEMA(db.kind === 'postgres')) await db.run(sql);
    return new HubPolicies(db);
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  /** Validate, sign and store a policy for `group` with the next serial. */
  async set(yaml: string, group: string, signer: NoteSigner, now: number): Promise<StoredPolicy> {
    checkGroup(group);
    if (Buffer.byteLength(yaml) > HUB_POLICY_MAX_BYTES) {
      throw new WardenError('BodyTooLarge', `the policy is over ${HUB_POLICY_MAX_BYTES} bytes`);
    }
    const parsed = parsePolicy(yaml, '<hub policy>');
    if (!parsed.ok) {
      throw new WardenError(
        'PolicyInvalid',
        `the policy is not valid: ${parsed.errors.map(formatPolicyError).join('; ')}`,
        'Check it with: warden policy check FILE',
        { errors: parsed.errors },
      );
    }
    const hash = policyHash(yaml);
    return this.#db.tx(async (db) => {
      const [top] = await db.all<{ serial: number | string | null }>(
        'SELECT MAX(serial) AS serial FROM hub_policies',
      );
      const serial = Number(top?.serial ?? 0) + 1;
      const note = signNote(`${HUB_POLICY_NOTE_HEADER}\nserial ${serial}\ngroup ${group}\n${hash}\n`, [
        signer,
      ]);
      await db.run(
        'INSERT INTO hub_policies (serial, grp, hash, yaml, note, created) VALUES (?, ?, ?, ?, ?, ?)',
        [serial, group, hash, yaml, note, now],
      );
      return { serial, group, hash, yaml, note, created: now };
    });
  }

  /** The newest policy of the device's group, else the newest for every device; null when none. */
  async forDevice(device: string): Promise<StoredPolicy | null> {
    const [g] = await this.#db.all<{ grp: string }>('SELECT grp FROM hub_device_groups WHERE device = ?', [
      device,
    ]);
    for (const group of g ? [g.grp, ALL_DEVICES] : [ALL_DEVICES]) {
      const [row] = await this.#db.all<PolicyRow>(
        'SELECT * FROM hub_policies WHERE grp = ? ORDER BY serial DESC LIMIT 1',
        [group],
      );
      if (row) return fromRow(row);
    }
    return null;
  }

  async setGroup(device: string, group: string): Promise<void> {
    checkGroup(group);
    await this.#db.run(
      'INSERT INTO hub_device_groups (device, grp) VALUES (?, ?) ON CONFLICT (device) DO UPDATE SET grp = excluded.grp',
      [device, group],
    );
  }

  /** Note the hash a device says it enforces (from its heartbeat). */
  async report(device: string, hash: string | null, now: number): Promise<void> {
    await this.#db.run(
      'INSERT INTO hub_device_policy (device, hash, at) VALUES (?, ?, ?) ' +
        'ON CONFLICT (device) DO UPDATE SET hash = excluded.hash, at = excluded.at',
      [device, hash, now],
    );
  }

  /** What each device should enforce and what it reports, judged. */
  async deviceView(device: string): Promise<HubDevicePolicyView> {
    const expected = await this.forDevice(device);
    const [g] = await this.#db.all<{ grp: string }>('SELECT grp FROM hub_device_groups WHERE device = ?', [
      device,
    ]);
    const [r] = await this.#db.all<{ hash: string | null }>(
      'SELECT hash FROM hub_device_policy WHERE device = ?',
      [device],
    );
    const reported = r?.hash ?? null;
    let state: HubDevicePolicyState;
    if (!expected) state = reported ? 'modified' : 'none';
    else if (reported === expected.hash) state = 'current';
    else if (reported === null) state = r ? 'missing' : 'unknown';
    else {
      const known = await this.#db.all('SELECT 1 FROM hub_policies WHERE hash = ? AND serial < ? LIMIT 1', [
        reported,
        expected.serial,
      ]);
      state = known.length ? 'old' : 'modified';
    }
    return {
      group: g?.grp ?? null,
      expected: expected ? { hash: expected.hash, serial: expected.serial } : null,
      reported,
      state,
    };
  }

  async list(): Promise<StoredPolicy[]> {
    return (await this.#db.all<PolicyRow>('SELECT * FROM hub_policies ORDER BY serial DESC LIMIT 100')).map(
      fromRow,
    );
  }
}
