// Once the hub has countersigned a record's batch, the record's OCSF 1.9 `record_integrity`
// attestation carries the hub's witness (a signature entry, and the receipt's place in the
// hub's log under unmapped.hub_receipt), read from the receipts the device kept: through the
// daemon's API and its NDJSON export, and still valid OCSF 1.9.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { AuditRecord } from '../../supervisor/api/audit-types.ts';
import { AuditStore } from '../../supervisor/audit/store.ts';
import type { Loose } from '../support/audit/samples.ts';
import { OcsfValidator } from '../support/ocsf/validate.ts';
import { append, hubAndDaemon, synced } from '../support/sync.ts';

const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanup) await c();
});

test("a synced record's attestation carries the hub's receipt, as the device kept it", async () => {
  const { hub, d } = await hubAndDaemon();
  cleanup.push(
    () => d.stop(),
    () => hub.close(),
  );
  await append(d, 40);
  const s = await synced(d);
  const page = (await d.client.call('GET /v1/audit', { query: { limit: '1000', order: 'asc' } })) as {
    records: AuditRecord[];
  };
  const validator = new OcsfValidator();
  const acked = page.records.filter((r) => r.seq <= (s.acknowledgedSeq ?? 0));
  assert.ok(acked.length >= 40, `${acked.length} acknowledged records`);
  for (const r of acked) {
    const o = r.ocsf as Loose;
    assert.deepEqual(validator.problems(o), [], `seq ${r.seq}`);
    const [a] = o.attestation_list;
    assert.equal(a.fingerprint.value, r.hash);
    assert.equal(a.signatures.length, 1, `seq ${r.seq}: the hub's countersignature`);
    assert.deepEqual([a.signatures[0].algorithm, a.signatures[0].state_id], ['Ed25519', 1]);
    const receipt = o.unmapped.hub_receipt;
    assert.equal(receipt.origin, hub.origin);
    assert.ok(receipt.seq >= r.seq, 'the receipt of a batch head at or after the record');
    assert.ok(receipt.leaf_index >= 0 && receipt.leaf_index < receipt.tree_size);
  }
  // The device's own export reads the same receipts.
  const chunks: string[] = [];
  const store = AuditStore.open(d.daemon.paths.auditDb, { readOnly: true });
  try {
    store.export({ format: 'ocsf-ndjson', write: (c) => chunks.push(c) });
  } finally {
    store.close();
  }
  const exported = chunks
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Loose);
  const last = exported.find((o) => Number(o.metadata.uid) === acked.at(-1)!.seq);
  assert.equal(last.unmapped.hub_receipt.origin, hub.origin);
});
