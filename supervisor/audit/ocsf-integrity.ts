// The OCSF 1.9 `record_integrity` profile of a record: one `attestation` carrying the hash
// chain as it is stored (never recomputed here: the store verifies it), and, once the record
// is synced, the hub's countersignature. Added on read, from the row's seq, prev_hash and hash,
// so every record of schema 2 or later gets it; schema 1 rows keep the OCSF 1.3 object they
// hashed.
//
// The fingerprint is the chain hash: SHA-256(prev_hash ‖ canonical Warden record), the
// record the OCSF object is built from (README "Hash chain"), not a serialization of the
// OCSF object itself; `serialization_id` is therefore Other, with the scheme named.

import type { OcsfEvent } from '../api/audit-types.ts';
import { GENESIS_HASH } from './chain.ts';
import { deepFreeze, type OcsfContext } from './ocsf-shared.ts';

/** The record's place in the device's chain. */
export interface ChainLink {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The hub's receipt that covers the record: the first batch head at or after its seq that the
 * hub countersigned (a signed checkpoint of its Merkle log with the batch leaf's inclusion).
 */
export interface HubWitness {
  /** The hub log's origin line (its identity in the signed checkpoint). */
  origin: string;
  /** The seq of the batch head the receipt acknowledged (≥ the record's seq). */
  seq: number;
  treeSize: number;
  leafIndex: number;
  /** When the device received and verified it (epoch ms). */
  received: number;
}

/** The chain's scheme (README "Hash chain"): SHA-256(prev_hash ‖ canonical Warden record). */
export const CHAIN_SERIALIZATION = 'warden-audit-chain/2';
const WITNESS_SERIALIZATION =
  'C2SP signed note (tlog-checkpoint) over an RFC 6962 tree holding the batch head';

function fingerprintOf(hash: string) {
  return {
    algorithm: 'SHA-256',
    algorithm_id: 3,
    serialization: CHAIN_SERIALIZATION,
    serialization_id: 99,
    value: hash,
  };
}

/** The previous record's fingerprint (same scheme as the record's own: not repeated). */
function prevFingerprintOf(hash: string) {
  return { algorithm: 'SHA-256', algorithm_id: 3, value: hash };
}

/** The chain's id (and the attesting authority): this device's Warden audit trail. */
export function chainUidOf(ctx: OcsfContext): string {
  return `warden-audit:${ctx.device.hostname}`;
}

export function attestationOf(ctx: OcsfContext, link: ChainLink, witness?: HubWitness) {
  const chain = chainUidOf(ctx);
  return {
    authority_uid: chain,
    chain_uid: chain,
    fingerprint: fingerprintOf(link.hash),
    // Absent on the genesis record; after retention the previous record may be gone, its hash stays.
    prev_event:
      link.seq > 1 && link.prevHash !== GENESIS_HASH
        ? { fingerprint: prevFingerprintOf(link.prevHash), uid: String(link.seq - 1) }
        : undefined,
    signatures: witness
      ? [
          {
            algorithm: 'Ed25519',
            algorithm_id: 99,
            created_time: witness.received,
            serialization: WITNESS_SERIALIZATION,
            serialization_id: 99,
            state: 'Valid',
            state_id: 1,
          },
        ]
      : undefined,
  };
}

/** Add the attestation (and the profile) to a mapped OCSF object, in place. */
export function addIntegrity(ocsf: OcsfEvent, ctx: OcsfContext, link: ChainLink, witness?: HubWitness): void {
  ocsf.attestation_list = [attestationOf(ctx, link, witness)];
  const metadata = ocsf.metadata as { profiles?: readonly string[] };
  metadata.profiles = withProfile(metadata.profiles ?? [], 'record_integrity');
  if (witness) {
    const unmapped = (ocsf.unmapped ?? {}) as Record<string, unknown>;
    unmapped.hub_receipt = {
      origin: witness.origin,
      seq: witness.seq,
      tree_size: witness.treeSize,
      leaf_index: witness.leafIndex,
      received: witness.received,
    };
    ocsf.unmapped = unmapped;
  }
}

/** `profiles` with `name` added in sorted place (a new array: mappings share theirs). */
function withProfile(profiles: readonly string[], name: string): readonly string[] {
  // The mappings' shared (frozen) lists get a shared result too.
  const shared = Object.isFrozen(profiles);
  const known = shared ? withIntegrity.get(profiles) : undefined;
  if (known && name === 'record_integrity') return known;
  const at = profiles.findIndex((p) => p > name);
  const out = at === -1 ? [...profiles, name] : [...profiles.slice(0, at), name, ...profiles.slice(at)];
  if (shared && name === 'record_integrity') withIntegrity.set(profiles, deepFreeze(out));
  return out;
}

const withIntegrity = new WeakMap<readonly string[], readonly string[]>();
