// Filling a hub store fast, for tests and benches of what reads it (exports, pages): devices
// enrolled straight in the store and synthetic chains inserted in transactions of 5,000
// (no HTTP, no verification: the ingest path has its own tests), records in the compact
// form a device's audit store keeps, so the OCSF mapping runs as on real records.

import type { HubRecord } from '../../../supervisor/api/hub.ts';
import { VERSION } from '../../../supervisor/api/version.ts';
import { GENESIS_HASH, rowHash } from '../../../supervisor/audit/chain.ts';
import type { HubStore } from '../../../supervisor/hub/store.ts';

const CTX =
  '{"device":{"hostname":"devbox","os":{"name":"Linux","type":"Linux","type_id":100,"version":"6.1.0"}},"version":"0.1.0"}';

/** `n` request records in the device's compact form (as TestDevice makes them), 1 ms apart. */
export function requestChain(n: number, from: number, prev: string, time: number): HubRecord[] {
  const out: HubRecord[] = [];
  for (let i = 0; i < n; i++) {
    const seq = from + i;
    const at = time + i;
    const outcome = seq % 3 ? 'allowed' : 'denied';
    const host = `h${seq % 7}.example.com`;
    const body = JSON.stringify({
      bytesDown: 2,
      bytesUp: 1,
      decidedBy: 'policy',
      durationMs: 3,
      host,
      id: `rq-${seq}`,
      method: 'GET',
      outcome,
      path: `/p/${seq}`,
      port: 443,
      reason: 'test',
      rule: null,
      sandboxId: 'sb-1',
      scheme: 'https',
      time: new Date(at).toISOString(),
      type: 'request.decided',
      user: 'alice',
    });
    const row = {
      seq,
      time: at,
      kind: 'request.decided',
      sandbox_id: 'sb-1',
      user: 'alice',
      host,
      outcome,
      body,
      ctx: CTX,
      logged: at,
      prev_hash: prev,
    };
    const hash = rowHash(row);
    out.push({ ...row, hash });
    prev = hash;
  }
  return out;
}

/** Enroll `id` and give it `n` records whose event times start at `time`, 1 ms apart. */
export async function seedDevice(store: HubStore, id: string, n: number, time: number): Promise<void> {
  await store.addToken(`seed-${id}`, 0, Date.now() + 3_600_000);
  const outcome = await store.enroll(`seed-${id}`, 1, {
    id,
    publicKey: '',
    user: 'alice',
    machine: `box-${id.slice(0, 6)}`,
    os: 'Linux',
    version: VERSION,
    enrolledAt: 0,
    startSeq: 1,
    startPrev: GENESIS_HASH,
    enrollHead: null,
  });
  if (outcome !== 'ok') throw new Error(`seed enroll ${id}: ${outcome}`);
  let prev = GENESIS_HASH;
  for (let from = 1; from <= n; from += 5000) {
    const k = Math.min(5000, n - from + 1);
    const rows = requestChain(k, from, prev, time + from - 1);
    prev = rows[rows.length - 1]!.hash;
    const head = { seq: rows[rows.length - 1]!.seq, hash: prev };
    await store.transaction(id, async (tx) => {
      await tx.insertRecords(rows, Date.now());
      await tx.setHead(head);
    });
  }
}
