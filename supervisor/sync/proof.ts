// `warden audit prove SEQ` and `warden audit check-proof FILE`: a self-contained file that
// shows one record is part of the chain the hub countersigned. It holds the record, the
// chain segment from it up to a head the hub acknowledged (each hash recomputed by the
// checker), and that acknowledgement's receipt: the hub's signed checkpoint and the
// inclusion proof of the batch's leaf. Anyone with the hub's public key checks it offline.

import { Ajv } from 'ajv';
import { type ChainRow, rowHash } from '../audit/chain.ts';
import type { SyncLedger } from '../audit/sync-ledger.ts';
import {
  type AuditProof,
  AuditProofSchema,
  MAX_PROOF_RECORDS,
  PROOF_FORMAT,
} from '../hub-protocol/proof-format.ts';
import { ReceiptError, verifyReceipt } from '../hub-protocol/receipt.ts';
import { parseVerifierKey } from '../tlog/note.ts';

export { type AuditProof, AuditProofSchema, MAX_PROOF_RECORDS, PROOF_FORMAT };

const validProof = new Ajv({ strict: false }).compile(AuditProofSchema);

export class ProofError extends Error {
  override readonly name = 'ProofError';
}

/** The proof of the record at `seq`, from the local store and its receipts. */
export function buildProof(ledger: SyncLedger, seq: number): AuditProof {
  const link = ledger.link();
  if (!link)
    throw new ProofError('this device is not enrolled with a team hub: there is nothing countersigned');
  const stored = ledger.receiptFrom(seq);
  if (!stored) {
    throw new ProofError(
      `no receipt covers seq ${seq} yet (the hub has acknowledged up to seq ${link.ackedSeq}); wait for the link to sync it`,
    );
  }
  if (stored.seq - seq + 1 > MAX_PROOF_RECORDS) {
    throw new ProofError(
      `the nearest countersigned head (seq ${stored.seq}) is more than ${MAX_PROOF_RECORDS} records away`,
    );
  }
  const records = ledger.segment(seq, stored.seq);
  if (records[0]?.seq !== seq)
    throw new ProofError(`seq ${seq} is not in the local trail (pruned, or not yet written)`);
  return {
    format: PROOF_FORMAT,
    hubKey: link.hubKey,
    origin: link.origin,
    device: link.deviceId,
    seq,
    records,
    receipt: stored.receipt,
  };
}

export interface ProofResult {
  seq: number;
  headSeq: number;
  treeSize: number;
  origin: string;
  /** The key that signed (compare it with the one IT published). */
  hubKey: string;
}

/** Check a proof offline; `hubKey` pins the hub's key (else the file's own is used and reported). */
export function checkProof(value: unknown, hubKey?: string): ProofResult {
  if (!validProof(value)) throw new ProofError('the file is not a Warden audit proof (or it is damaged)');
  const proof = value as AuditProof;
  if (hubKey && hubKey !== proof.hubKey)
    throw new ProofError('the proof was countersigned by another hub key than the one given');
  const [first] = proof.records;
  if (first!.seq !== proof.seq)
    throw new ProofError(`the segment starts at seq ${first!.seq}, not at the proved seq ${proof.seq}`);
  let prev: string | null = null;
  let expected = proof.seq;
  for (const r of proof.records) {
    if (r.seq !== expected) throw new ProofError(`the segment skips from seq ${expected - 1} to ${r.seq}`);
    if (prev !== null && r.prev_hash !== prev)
      throw new ProofError(`seq ${r.seq} does not link to seq ${r.seq - 1}`);
    const chainRow: ChainRow = { ...r };
    if (rowHash(chainRow) !== r.hash)
      throw new ProofError(`seq ${r.seq} does not hash to its recorded hash (edited)`);
    prev = r.hash;
    expected++;
  }
  const last = proof.records.at(-1)!;
  let tree: { size: number };
  try {
    tree = verifyReceipt(proof.receipt, {
      verifier: parseVerifierKey(proof.hubKey),
      origin: proof.origin,
      device: proof.device,
      seq: last.seq,
      hash: last.hash,
      previous: null,
    });
  } catch (error) {
    if (error instanceof ReceiptError)
      throw new ProofError(`the hub's countersignature does not check: ${error.message}`);
    throw new ProofError(`the hub key in the proof is not usable: ${(error as Error).message}`);
  }
  return {
    seq: proof.seq,
    headSeq: last.seq,
    treeSize: tree.size,
    origin: proof.origin,
    hubKey: proof.hubKey,
  };
}
