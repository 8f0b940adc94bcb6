// The proof file of one record (`warden audit prove` on a device, "download proof" on the
// hub's page): the record, the chain segment from it up to a head the hub countersigned, and
// that head's receipt. Both sides write this one shape; `warden audit check-proof` reads it.

import { type Static, Type } from '@sinclair/typebox';
import { HubReceiptSchema, HubRecordSchema } from '../api/hub.ts';

export const PROOF_FORMAT = 'warden-audit-proof/v1';
/** A proof's segment is at most this long (the next receipt is usually one batch away). */
export const MAX_PROOF_RECORDS = 100_000;

export const AuditProofSchema = Type.Object(
  {
    format: Type.Literal(PROOF_FORMAT),
    /** The hub's verifier key and log origin, as enrolled. */
    hubKey: Type.String({ maxLength: 600 }),
    origin: Type.String({ maxLength: 1024 }),
    device: Type.String({ pattern: '^[0-9a-f]{32}$' }),
    seq: Type.Integer({ minimum: 1 }),
    records: Type.Array(HubRecordSchema, { minItems: 1, maxItems: MAX_PROOF_RECORDS }),
    receipt: HubReceiptSchema,
  },
  { additionalProperties: false },
);
export type AuditProof = Static<typeof AuditProofSchema>;
