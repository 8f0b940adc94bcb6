// The Devices view and a device's detail page: each device with its chain badges, lag and key
// fingerprint; its countersigned receipts (Merkle leaves, keyset by seq); and spot-checks, which
// set the challenge the device answers on its next heartbeat (service.ts `answer`).

import { createHash, randomInt } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import {
  HUB_ADMIN_LIMITS,
  type HubChainBadge,
  type HubDeviceDetail,
  type HubDeviceView,
  type HubReceiptView,
  type HubSpotCheckView,
} from '../api/hub-admin.ts';
import type { AdminStore } from './admin-store.ts';
import type { HubService } from './service.ts';
import type { DeviceRow } from './store.ts';

const BADGE: Record<string, HubChainBadge> = {
  fork: 'forked',
  rollback: 'rolled-back',
  gap: 'gap',
  'clock-skew': 'clock-skew',
  silent: 'silent',
};

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export const fingerprintOf = (publicKey: string): string =>
  `SHA256:${createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('base64').replace(/=+$/, '')}`;

export async function deviceViews(
  service: HubService,
  admin: AdminStore,
  now: number,
  only?: DeviceRow,
): Promise<HubDeviceView[]> {
  // Pending rotations first: a rotation is marked done in the transaction that changes the key,
  // so a device no longer listed as rotating here is read below with its new key.
  const rotating = new Set(
    (await admin.db.all<{ device: string }>('SELECT device FROM hub_key_rotations WHERE done IS NULL')).map(
      (r) => r.device,
    ),
  );
  const [devices, alerts] = await Promise.all([
    only ? service.store.device(only.id).then((d) => (d ? [d] : [])) : service.store.devices(),
    admin.alerts(5000),
  ]);
  const open = new Map<string, Set<HubChainBadge>>();
  for (const a of alerts) {
    const badge = BADGE[a.kind];
    if (a.ack || !badge) continue;
    const set = open.get(a.device) ?? new Set();
    set.add(badge);
    open.set(a.device, set);
  }
  const out: HubDeviceView[] = [];
  for (const d of devices) {
    const badges = [...(open.get(d.id) ?? [])];
    if (d.revokedAt !== null) badges.unshift('revoked');
    const headTime = d.head && d.backlog ? await admin.recordTime(d.id, d.head.seq) : null;
    out.push({
      id: d.id,
      user: d.user,
      machine: d.machine,
      os: d.os,
      version: d.version,
      enrolledAt: d.enrolledAt,
      lastSeen: d.lastSeen,
      lagMs: headTime === null ? (d.backlog === 0 ? 0 : null) : Math.max(0, now - headTime),
      backlog: d.backlog,
      headSeq: d.head?.seq ?? null,
      badges: badges.length ? badges : ['ok'],
      fingerprint: fingerprintOf(d.publicKey),
      revokedAt: d.revokedAt,
      rotating: rotating.has(d.id),
      ...(service.policies ? { policy: await service.policies.deviceView(d.id) } : {}),
    });
  }
  return out;
}

export async function knownDevice(service: HubService, id: string): Promise<DeviceRow> {
  if (!/^[0-9a-f]{32}$/.test(id))
    throw new WardenError('BadRequest', 'a device id is 32 hex digits', 'Pick a device from the list.');
  const d = await service.store.device(id);
  if (!d) throw new WardenError('NotFound', `no enrolled device ${id}`);
  return d;
}

/** A device's receipts, newest first, below `before` (a seq). */
export async function receiptsOf(
  admin: AdminStore,
  device: string,
  before: number | undefined,
  limit: number,
): Promise<{ receipts: HubReceiptView[]; next: number | null }> {
  const n = Math.min(Math.max(limit, 1), HUB_ADMIN_LIMITS.receiptsPageMax);
  const rows = await admin.db.all<Record<string, unknown>>(
    'SELECT idx, seq, hash, received FROM tlog_leaves WHERE device = ? AND seq < ? ORDER BY seq DESC, idx DESC LIMIT ?',
    [device, before ?? Number.MAX_SAFE_INTEGER, n + 1],
  );
  const receipts: HubReceiptView[] = [];
  for (const r of rows.slice(0, n)) {
    const cp = await admin.db.all<{ size: unknown; note: string }>(
      'SELECT size, note FROM tlog_checkpoints WHERE size > ? ORDER BY size LIMIT 1',
      [num(r.idx)],
    );
    receipts.push({
      leafIndex: num(r.idx),
      seq: num(r.seq),
      hash: String(r.hash),
      received: num(r.received),
      treeSize: numOrNull(cp[0]?.size),
      checkpoint: cp[0]?.note ?? null,
    });
  }
  return { receipts, next: rows.length > n ? receipts.at(-1)!.seq : null };
}

const sameSeqs = (a: readonly number[] | null, b: readonly number[]) =>
  a !== null && a.length === b.length && a.every((s, i) => s === b[i]);

/** Spot-checks of a device, newest first; resolves those whose challenge the device answered. */
export async function spotChecksOf(
  admin: AdminStore,
  device: DeviceRow,
  now: number,
): Promise<HubSpotCheckView[]> {
  const rows = await admin.db.all<Record<string, unknown>>(
    'SELECT id, seqs, admin, requested, resolved, first_divergent FROM hub_spot_checks WHERE device = ? ORDER BY id DESC LIMIT 20',
    [device.id],
  );
  const out: HubSpotCheckView[] = [];
  for (const r of rows) {
    const seqs = JSON.parse(String(r.seqs)) as number[];
    let resolved = numOrNull(r.resolved);
    let firstDivergent = numOrNull(r.first_divergent);
    if (resolved === null && !sameSeqs(device.challenge, seqs)) {
      // The device answered (service.ts cleared the challenge); a mismatch raised a fork alert.
      const forks = await admin.db.all<{ seq: unknown }>(
        "SELECT seq FROM alerts WHERE device = ? AND kind = 'fork' AND at >= ? AND message LIKE 'challenge:%' ORDER BY seq LIMIT 1",
        [device.id, num(r.requested)],
      );
      resolved = now;
      firstDivergent = numOrNull(forks[0]?.seq);
      await admin.db.run(
        'UPDATE hub_spot_checks SET resolved = ?, first_divergent = ? WHERE id = ? AND resolved IS NULL',
        [resolved, firstDivergent, num(r.id)],
      );
    }
    out.push({
      id: num(r.id),
      seqs,
      admin: String(r.admin),
      requested: num(r.requested),
      state: resolved === null ? 'pending' : firstDivergent === null ? 'answered' : 'mismatch',
      resolved,
      firstDivergent,
    });
  }
  return out;
}

/** Ask the device for its hashes at `seqs` (or the head and a sample) over its next heartbeat. */
export async function requestSpotCheck(
  service: HubService,
  admin: AdminStore,
  id: string,
  asked: readonly number[],
  who: string,
  now: number,
): Promise<HubSpotCheckView> {
  const device = await knownDevice(service, id);
  if (device.revokedAt !== null)
    throw new WardenError('BadRequest', `device ${id} is revoked: it no longer sends heartbeats`);
  const head = device.head;
  if (!head) throw new WardenError('BadRequest', `the hub holds no record of device ${id} yet`);
  const pending = (await spotChecksOf(admin, device, now)).find((s) => s.state === 'pending');
  if (pending)
    throw new WardenError(
      'BadRequest',
      `a spot-check of device ${id} is pending (asked at ${new Date(pending.requested).toISOString()})`,
      'Wait for its next heartbeat.',
    );
  const seqs = new Set<number>();
  for (const s of asked) {
    if (s < device.startSeq || s > head.seq)
      throw new WardenError(
        'BadRequest',
        `seq ${s} is outside what the hub holds (${device.startSeq}–${head.seq})`,
      );
    seqs.add(s);
  }
  if (seqs.size === 0) {
    seqs.add(head.seq);
    const span = head.seq - device.startSeq + 1;
    for (let i = 0; i < 8 && seqs.size < span; i++) seqs.add(device.startSeq + randomInt(span));
  }
  const sorted = [...seqs].sort((a, b) => a - b).slice(0, HUB_ADMIN_LIMITS.spotCheckSeqs);
  await service.store.transaction(device.id, (tx) => tx.setChallenge(sorted));
  await admin.db.run('INSERT INTO hub_spot_checks (device, seqs, admin, requested) VALUES (?, ?, ?, ?)', [
    device.id,
    JSON.stringify(sorted),
    who,
    now,
  ]);
  await admin.record(now, who, 'device.spot-check', JSON.stringify({ device: device.id, seqs: sorted }));
  return {
    id: 0,
    seqs: sorted,
    admin: who,
    requested: now,
    state: 'pending',
    resolved: null,
    firstDivergent: null,
  };
}

export async function deviceDetail(
  service: HubService,
  admin: AdminStore,
  id: string,
  now: number,
): Promise<HubDeviceDetail> {
  const d = await knownDevice(service, id);
  const [view] = await deviceViews(service, admin, now, d);
  const { receipts, next } = await receiptsOf(admin, d.id, undefined, 20);
  return {
    device: view!,
    startSeq: d.startSeq,
    receipts,
    nextReceipts: next,
    spotChecks: await spotChecksOf(admin, d, now),
  };
}
