// "Download proof" on the hub's page: the proof file of one record, built from what the hub
// holds (the record, the chain segment up to the first countersigned head at or above it, and
// that leaf's receipt in the latest signed tree). It is the file `warden audit prove` writes
// on the device, so `warden audit check-proof FILE` checks it offline.

import { WardenError } from '../api/errors.ts';
import type { HubLeaf } from '../api/hub.ts';
import { type AuditProof, MAX_PROOF_RECORDS, PROOF_FORMAT } from '../hub-protocol/proof-format.ts';
import type { AdminStore } from './admin-store.ts';
import type { HubService } from './service.ts';

export async function proofOf(
  service: HubService,
  admin: AdminStore,
  device: string,
  seq: number,
): Promise<AuditProof> {
  const leaves = await admin.db.all<Record<string, unknown>>(
    'SELECT idx, seq, hash, received FROM tlog_leaves WHERE device = ? AND seq >= ? ORDER BY seq, idx LIMIT 1',
    [device, seq],
  );
  const row = leaves[0];
  if (!row)
    throw new WardenError(
      'NotFound',
      `no countersigned head of device ${device} covers seq ${seq}`,
      'Pick a record the hub holds.',
    );
  const leaf: HubLeaf = {
    device,
    seq: Number(row.seq),
    hash: String(row.hash),
    received: Number(row.received),
  };
  const count = leaf.seq - seq + 1;
  if (count > MAX_PROOF_RECORDS)
    throw new WardenError(
      'BadRequest',
      `the nearest countersigned head (seq ${leaf.seq}) is more than ${MAX_PROOF_RECORDS} records away`,
    );
  const records = await service.store.records(device, seq - 1, count);
  if (records[0]?.seq !== seq || records.length !== count || records.at(-1)?.hash !== leaf.hash)
    throw new WardenError('NotFound', `the hub does not hold device ${device}'s records ${seq}–${leaf.seq}`);
  const receipt = await service.log.receipt(service.store, leaf, Number(row.idx), await service.latest(), 0);
  return {
    format: PROOF_FORMAT,
    hubKey: service.verifierKey,
    origin: service.log.origin,
    device,
    seq,
    records,
    receipt,
  };
}
