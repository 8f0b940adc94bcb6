// Where the local chain and the hub's copy part: bisection over the hub's hashes of this
// device's records (`GET /hub/v1/heads`), up to 64 probes a round, so a million records
// take four round trips. The answer is the lowest seq whose hashes differ (or that one side
// lacks), or null when every probed seq agrees.

import { Ajv } from 'ajv';
import { HUB_PATHS, type HubHeadsResponse, HubHeadsResponseSchema } from '../api/hub.ts';
import type { SyncLedger } from '../audit/sync-ledger.ts';
import { callHub, type HubTarget, replyError } from './hub-client.ts';

const validHeads = new Ajv({ strict: false }).compile(HubHeadsResponseSchema);
const PROBES = 64;
const MAX_ROUNDS = 12;

export async function hubHeads(target: HubTarget, seqs: readonly number[]): Promise<HubHeadsResponse> {
  const reply = await callHub(target, {
    method: 'GET',
    path: HUB_PATHS.heads,
    query: `seqs=${seqs.join(',')}`,
  });
  if (reply.status !== 200 || !validHeads(reply.json)) {
    const error = replyError(reply);
    throw new Error(`the hub refused the heads query (${reply.status}${error ? `: ${error.message}` : ''})`);
  }
  return reply.json;
}

/** The first seq in [from, through] where the hub's hash differs from the local one; `through` is known to differ. */
export async function firstDivergent(
  target: HubTarget,
  ledger: SyncLedger,
  from: number,
  through: number,
): Promise<number> {
  let lo = from; // every seq below lo agrees
  let hi = through; // hi differs
  for (let round = 0; round < MAX_ROUNDS && lo < hi; round++) {
    const step = Math.max(1, Math.ceil((hi - lo) / PROBES));
    const seqs: number[] = [];
    for (let s = lo; s < hi && seqs.length < PROBES; s += step) seqs.push(s);
    const hub = new Map((await hubHeads(target, seqs)).heads.map((h) => [h.seq, h.hash]));
    const local = ledger.hashesAt(seqs);
    const bad = local.find((l) => hub.get(l.seq) !== l.hash);
    if (bad) {
      hi = bad.seq;
      const before = seqs[seqs.indexOf(bad.seq) - 1];
      lo = before === undefined ? lo : before + 1;
    } else {
      lo = (seqs.at(-1) ?? lo) + 1;
    }
    if (step === 1) return bad ? bad.seq : hi;
  }
  return hi;
}
