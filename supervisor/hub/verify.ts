// `warden hub verify`: re-hash every stored record with the device chain code, check each
// links to the one before (from the device's declared start), and rebuild the Merkle log's
// root from its leaves against the latest signed checkpoint. Names the first bad row.

import { rowHash } from '../audit/chain.ts';
import { hubLeafHash } from '../hub-protocol/receipt.ts';
import { appendNodes, type NodeId, rootOf } from '../tlog/merkle.ts';
import type { HubLog } from './log.ts';
import { type HubStore, nodeKey } from './store.ts';

export interface HubVerifyProblem {
  device: string | null;
  seq: number | null;
  problem: string;
}

export interface HubVerifyReport {
  ok: boolean;
  devices: number;
  records: number;
  leaves: number;
  problems: HubVerifyProblem[];
}

const PAGE = 5000;

export async function verifyHub(store: HubStore, log: HubLog): Promise<HubVerifyReport> {
  const problems: HubVerifyProblem[] = [];
  let records = 0;
  const devices = await store.devices();
  for (const d of devices) {
    let expected = d.startSeq;
    let prev = d.startPrev;
    // Records dropped by retention: the chain resumes after the last dropped one.
    const dropped = (await store.retained(d.id)).at(-1);
    if (dropped && dropped.throughSeq >= expected) {
      expected = dropped.throughSeq + 1;
      prev = dropped.lastHash;
    }
    let after = 0;
    // Gaps the device acknowledged: the chain resumes after each at its last pruned hash.
    const gaps = new Map((await store.gaps(d.id)).map((g) => [g.throughSeq + 1, g]));
    for (;;) {
      const page = await store.records(d.id, after, PAGE);
      if (page.length === 0) break;
      let bad: HubVerifyProblem | null = null;
      for (const r of page) {
        records++;
        const gap = r.seq > expected ? gaps.get(r.seq) : undefined;
        if (gap && gap.fromSeq <= expected) {
          expected = r.seq;
          prev = gap.lastHash;
        }
        if (r.seq !== expected) {
          bad = {
            device: d.id,
            seq: expected,
            problem: `record ${expected} is missing (the chain jumps to ${r.seq})`,
          };
        } else if (r.prev_hash !== prev) {
          bad = { device: d.id, seq: r.seq, problem: `record ${r.seq} does not link to record ${r.seq - 1}` };
        } else if (rowHash(r) !== r.hash) {
          bad = {
            device: d.id,
            seq: r.seq,
            problem: `record ${r.seq} does not match its hash: the row was edited`,
          };
        }
        if (bad) break;
        expected = r.seq + 1;
        prev = r.hash;
      }
      if (bad) {
        problems.push(bad);
        break;
      }
      after = page.at(-1)!.seq;
    }
    if (
      !problems.some((p) => p.device === d.id) &&
      d.head &&
      (d.head.seq !== expected - 1 || d.head.hash !== prev)
    ) {
      problems.push({
        device: d.id,
        seq: d.head.seq,
        problem: `the device's acknowledged head ${d.head.seq} is not the last stored record (${expected - 1})`,
      });
    }
  }
  // The log: rebuild the tree from the leaves and compare with the latest signed checkpoint.
  const latest = (await store.checkpoint()) ?? log.empty();
  const nodes = new Map<string, Buffer>();
  const read = (id: NodeId) => nodes.get(nodeKey(id))!;
  let size = 0;
  while (size < latest.size) {
    const leaves = await store.leaves(size, Math.min(size + PAGE, latest.size));
    if (leaves.length === 0) break;
    for (const n of appendNodes(size, leaves.map(hubLeafHash), read)) nodes.set(nodeKey(n), n.hash);
    size += leaves.length;
  }
  if (size !== latest.size || !rootOf(size, read).equals(latest.root)) {
    problems.push({
      device: null,
      seq: null,
      problem: `the Merkle log's leaves do not give the root of the signed checkpoint of size ${latest.size}: leaves were edited`,
    });
  }
  return { ok: problems.length === 0, devices: devices.length, records, leaves: size, problems };
}
