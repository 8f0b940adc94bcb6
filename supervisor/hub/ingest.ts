// Accepting a batch: re-hash every record with the device's own chain code, then, with the
// device's row locked, check continuity with what the hub holds. An overlap with equal
// hashes is trimmed; a different hash is a fork (the divergent records go to quarantine and
// an alert is raised, then 409 names the seq); a hole is a gap (409 names the seq expected).
// An accepted batch becomes one Merkle leaf and its receipt.

import { WardenError } from '../api/errors.ts';
import type { HubBatchResponse, HubHead, HubLeaf, HubRecord } from '../api/hub.ts';
import { rowHash, storable } from '../audit/chain.ts';
import type { HubLog } from './log.ts';
import type { DeviceRow, HubStore, HubTx, PlacedLeaf, StoredCheckpoint } from './store.ts';

const SURROGATE = /[\ud800-\udfff]/;

/** Text a UTF-8 database holds exactly (no lone surrogate: the device's store never writes one). */
function storableText(r: HubRecord): boolean {
  for (const v of [r.kind, r.sandbox_id, r.user, r.host, r.outcome, r.body, r.ctx, r.prev_hash, r.hash]) {
    if (v !== null && SURROGATE.test(v) && storable(v) !== v) return false;
  }
  return true;
}

/** Every record's hash recomputed from its columns, and each linked to the one before it. */
export function checkRecords(records: readonly HubRecord[]): void {
  let prev: HubRecord | undefined;
  for (const r of records) {
    if (!storableText(r)) {
      throw new WardenError(
        'BadRequest',
        `record ${r.seq} of the batch holds a lone UTF-16 surrogate, which the hub's database cannot store as hashed`,
        'The batch was refused whole; a Warden audit store never writes such text.',
      );
    }
    if (rowHash(r) !== r.hash) {
      throw new WardenError(
        'BadRequest',
        `record ${r.seq} of the batch does not match its hash (changed after hashing, or not a Warden record)`,
        'The batch was refused whole; nothing of it was stored.',
      );
    }
    if (prev && r.prev_hash !== prev.hash) {
      throw new WardenError('BadRequest', `record ${r.seq} of the batch does not link to record ${prev.seq}`);
    }
    prev = r;
  }
}

type Outcome =
  | {
      kind: 'ok';
      acknowledged: HubHead;
      stored: number;
      leaf: HubLeaf;
      existing: number | undefined;
      /** Appended in the ingest's own transaction (a store that does not group appends). */
      appended?: PlacedLeaf & { checkpoint: StoredCheckpoint };
    }
  | { kind: 'fork'; seq: number; why: string }
  | { kind: 'gap'; expected: number };

export interface IngestContext {
  store: HubStore;
  log: HubLog;
  now: () => number;
}

/** The device's row, or the refusal a request from it gets. */
export function activeDevice(device: DeviceRow | undefined, id: string): DeviceRow {
  if (!device) {
    throw new WardenError(
      'Unauthorized',
      `device ${id} is not enrolled on this hub`,
      'Enroll it: warden sync enroll.',
    );
  }
  if (device.revokedAt !== null) {
    throw new WardenError(
      'DeviceRevoked',
      `device ${id} was revoked on this hub at ${new Date(device.revokedAt).toISOString()}`,
      'Ask IT for a new enrollment token if this device should sync again.',
    );
  }
  return device;
}

/** Where a batch diverges from what the hub holds (the lowest seq), or null. */
async function divergence(
  tx: HubTx,
  d: DeviceRow,
  records: readonly HubRecord[],
  expected: number,
  prevExpected: string,
): Promise<{ seq: number; why: string } | null> {
  const first = records[0]!.seq;
  const last = records.at(-1)!.seq;
  if (first < expected) {
    const stored = await tx.hashes(first, Math.min(last, expected - 1));
    for (const r of records) {
      if (r.seq >= expected) break;
      const hash = stored.get(r.seq);
      if (hash !== undefined && hash !== r.hash) {
        return {
          seq: r.seq,
          why: `the hub holds a different record ${r.seq} (rewritten after it was synced)`,
        };
      }
    }
  }
  const fresh = records.find((r) => r.seq === expected);
  if (fresh && fresh.prev_hash !== prevExpected) {
    return {
      seq: fresh.seq,
      why: `record ${fresh.seq} does not link to record ${fresh.seq - 1} the hub holds`,
    };
  }
  const declared = d.enrollHead;
  if (declared) {
    const r = records.find((x) => x.seq === declared.seq);
    if (r && r.hash !== declared.hash) {
      return {
        seq: r.seq,
        why: `record ${r.seq} differs from the head the device declared when it enrolled`,
      };
    }
  }
  return null;
}

export async function ingestBatch(
  ctx: IngestContext,
  deviceId: string,
  records: readonly HubRecord[],
  seenSize: number,
): Promise<HubBatchResponse> {
  checkRecords(records);
  const first = records[0]!.seq;
  const last = records.at(-1)!;
  const inDefault = await ctx.store.placeRecords(
    records.map((r) => r.time),
    ctx.now(),
  );
  const outcome = await ctx.store.transaction(deviceId, async (tx): Promise<Outcome> => {
    const d = activeDevice(tx.device, deviceId);
    const now = ctx.now();
    let expected = d.head ? d.head.seq + 1 : d.startSeq;
    let prevExpected = d.head?.hash ?? d.startPrev;
    // A gap the device acknowledged (its retention checkpoint; alerted when declared): the
    // batch after it is taken when it links to the last pruned record's hash.
    const gap = first > expected ? await tx.gapBefore(first) : undefined;
    if (gap && gap.fromSeq <= expected && records[0]!.prev_hash === gap.lastHash) {
      expected = first;
      prevExpected = gap.lastHash;
    }
    if (first > expected) {
      await tx.alert({
        device: deviceId,
        kind: 'gap',
        seq: expected,
        message: `the batch starts at ${first} but the hub holds up to ${expected - 1}: records ${expected}…${first - 1} never arrived`,
        at: now,
      });
      return { kind: 'gap', expected };
    }
    const fork = await divergence(tx, d, records, expected, prevExpected);
    if (fork) {
      await tx.quarantine(
        records.filter((r) => r.seq >= fork.seq),
        fork.why,
        now,
      );
      await tx.alert({ device: deviceId, kind: 'fork', seq: fork.seq, message: fork.why, at: now });
      return { kind: 'fork', ...fork };
    }
    const fresh = records.filter((r) => r.seq >= expected);
    let head: HubHead | null = d.head;
    let stored = 0;
    if (fresh.length > 0) {
      head = { seq: last.seq, hash: last.hash };
      stored = await tx.advance(fresh, now, head);
    }
    const leaf: HubLeaf = { device: deviceId, seq: last.seq, hash: last.hash, received: now };
    const existing = fresh.length === 0 ? await tx.leafIndex(last.seq) : undefined;
    let appended: (PlacedLeaf & { checkpoint: StoredCheckpoint }) | undefined;
    if (existing === undefined && !ctx.store.groupsAppends) {
      const done = await ctx.log.append(tx, [leaf], stored > 0 ? [] : [leaf]);
      appended = { ...done.placed[0]!, checkpoint: done.checkpoint };
    }
    const acknowledged = head ?? { seq: d.startSeq - 1, hash: d.startPrev };
    return { kind: 'ok', acknowledged, stored, leaf, existing, appended };
  });
  if (outcome.kind === 'gap') {
    throw new WardenError(
      'ChainGap',
      `the batch starts at seq ${first}; the hub expects ${outcome.expected}`,
      `Send the records from seq ${outcome.expected} on.`,
      { expectedSeq: outcome.expected },
    );
  }
  if (outcome.kind === 'fork') {
    throw new WardenError(
      'ChainFork',
      `the device's chain forks from the hub's at seq ${outcome.seq}: ${outcome.why}`,
      'The divergent records were kept in quarantine and IT was alerted; the sync link stops until it is resolved.',
      { seq: outcome.seq },
    );
  }
  if (inDefault > 0) {
    await ctx.store.flagDefaultPartition(deviceId);
    if (!(await ctx.store.hasAlert(deviceId, 'default-partition', ctx.now() - 3_600_000))) {
      await ctx.store.alert({
        device: deviceId,
        kind: 'default-partition',
        seq: first,
        message: `${inDefault} record(s) carry event times far from the hub's clock (the device's clock is wrong?)`,
        at: ctx.now(),
      });
    }
  }
  // The records are committed; the batch's leaf joins the next group append (which keeps an
  // existing leaf of the same seq: one per batch, even when two hubs take a resend at once).
  // A hub that stops in between has stored the records without a leaf: the device, with no
  // reply, resends, finds them held, and that resend appends the leaf.
  const { leaf } = outcome;
  let receiptLeaf = leaf;
  let index: number;
  let checkpoint: StoredCheckpoint;
  if (outcome.appended) {
    ({ index, leaf: receiptLeaf, checkpoint } = outcome.appended);
  } else if (outcome.existing === undefined) {
    ({
      index,
      leaf: receiptLeaf,
      checkpoint,
    } = await ctx.log.appendGrouped(ctx.store, leaf, outcome.stored > 0));
  } else {
    // A resent batch the hub already countersigned: the same leaf, proven in today's tree.
    index = outcome.existing;
    receiptLeaf = (await ctx.store.leaves(index, index + 1))[0] ?? leaf;
    checkpoint = (await ctx.store.checkpoint()) ?? ctx.log.empty();
  }
  const receipt = await ctx.log.receipt(ctx.store, receiptLeaf, index, checkpoint, seenSize);
  const { acknowledged, stored } = outcome;
  return { acknowledged, stored, duplicates: records.length - stored, receipt };
}
