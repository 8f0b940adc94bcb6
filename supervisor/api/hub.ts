// The team hub's wire contract (issue 15), written once for the hub and the device's sync
// link: paths, limits, the enrollment string, every request and response body as a TypeBox
// schema, the receipt, and the constants of the request-signing scheme (a subset of RFC 9421
// HTTP Message Signatures with RFC 9530 Content-Digest). The byte-level code (signature base,
// digest, gzip batches, leaf encoding, receipt checks) lives in supervisor/hub-protocol.
//
// Every device request is signed: components "@method" "@path" "content-digest" with the
// parameters created, keyid (the device id), alg="ed25519" and nonce, in that order:
//   Content-Digest: sha-256=:<base64 SHA-256 of the body as sent (gzip for a batch)>:
//   Signature-Input: sig1=("@method" "@path" "content-digest");created=<unix s>;keyid="<id>";alg="ed25519";nonce="<b64url>"
//   Signature: sig1=:<base64 Ed25519 signature of the signature base>:
// A request whose `created` is outside the window, or whose nonce was seen before, is 401.

import { type Static, Type } from '@sinclair/typebox';

export const HUB_PATHS = {
  /** Register a device key with a one-time token (signed by the new key: proof of possession). */
  enroll: '/hub/v1/enroll',
  /** Upload a batch of chain records; answered with the acknowledged head and a receipt. */
  batches: '/hub/v1/batches',
  /** Head and backlog every minute; may be answered with a challenge. */
  heartbeat: '/hub/v1/heartbeat',
  /** The device's hashes at the seqs the hub challenged. */
  challenge: '/hub/v1/challenge',
  /** The hub's hashes at given seqs of the calling device (`audit verify --against-hub`). */
  heads: '/hub/v1/heads',
  /** The latest signed checkpoint (text/plain signed note); unsigned request, public. */
  checkpoint: '/hub/v1/checkpoint',
  /** The organisation policy for the calling device (signed request): HubPolicyDocument. */
  policy: '/hub/v1/policy',
  /** Approvals an organisation rule sends to IT: the device posts its cards (hub-approvals.ts). */
  itApprovals: '/hub/v1/it-approvals',
  /** IT's answers to the calling device's approvals (a long poll: answered at once when there is one). */
  itAnswers: '/hub/v1/it-approvals/answers',
  /** Register a new device key (signed by the current key) after a heartbeat asked for it. */
  rotate: '/hub/v1/rotate',
} as const;

export const HUB_LIMITS = {
  /** What a device puts in one batch at most (issue 15: 1,000 records or 1 MiB). */
  deviceBatchRecords: 1000,
  deviceBatchBytes: 1024 * 1024,
  /** What the hub accepts at most: beyond it, 413 (send smaller batches). */
  maxBatchRecords: 10_000,
  /** Uncompressed NDJSON bytes of one batch. */
  maxBatchBytes: 8 * 1024 * 1024,
  /** Request body bytes as sent (gzip for a batch, JSON otherwise). */
  maxBodyBytes: 8 * 1024 * 1024,
  /** Seqs in one heads query or challenge. */
  maxSeqs: 1000,
  /** A signature's `created` may be this many seconds old, or this many ahead (clock skew). */
  signatureMaxAgeSec: 300,
  signatureMaxAheadSec: 60,
} as const;

export const HUB_SIGNATURE = {
  label: 'sig1',
  components: ['@method', '@path', 'content-digest'],
  alg: 'ed25519',
  headers: {
    digest: 'content-digest',
    input: 'signature-input',
    signature: 'signature',
    /** The tree size of the last checkpoint the device verified (0: none); asks for a consistency proof. */
    treeSize: 'warden-tree-size',
  },
} as const;

/** The enrollment string `warden hub token create` prints: this prefix, then base64url(JSON of HubEnrollment). */
export const ENROLLMENT_PREFIX = 'warden-enroll-v1:';

const Hex64 = Type.String({ pattern: '^[0-9a-f]{64}$' });
const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const EpochMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });
const Text = (maxLength: number) => Type.String({ maxLength });
/** base64 (standard, padded) of 32 bytes: a SHA-256 hash or an Ed25519 public key. */
const B64Hash = Type.String({ pattern: '^[A-Za-z0-9+/]{43}=$' });
const DeviceId = Type.String({ pattern: '^[0-9a-f]{32}$' });

/** What the device needs to reach and trust a hub; `warden sync enroll STRING` reads it. */
export const HubEnrollmentSchema = Type.Object(
  {
    /** Base URL of the hub, http(s)://host:port (plain http only on loopback). */
    url: Type.String({ pattern: '^https?://[^\\s/?#]+/?$', maxLength: 512 }),
    /** The hub's checkpoint key, as a C2SP note verifier key: <name>+<hex id>+<base64(0x01 ‖ key)>. */
    hubKey: Type.String({ pattern: '^[^\\s+]+\\+[0-9a-f]{8}\\+[A-Za-z0-9+/]{44}$', maxLength: 600 }),
    /** sha256/<base64 SHA-256 of the TLS certificate's SubjectPublicKeyInfo>, or null (plain HTTP, or CA-trusted). */
    tlsPin: Type.Union([Type.String({ pattern: '^sha256/[A-Za-z0-9+/]{43}=$' }), Type.Null()]),
    /** The one-time token (32 random bytes, base64url); the hub keeps only its SHA-256. */
    token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
  },
  { additionalProperties: false },
);
export type HubEnrollment = Static<typeof HubEnrollmentSchema>;

/** A chain position: the record at `seq` has hash `hash`. */
export const HubHeadSchema = Type.Object({ seq: Seq, hash: Hex64 }, { additionalProperties: false });
export type HubHead = Static<typeof HubHeadSchema>;

/**
 * `POST /hub/v1/enroll`: signed with the new device key (keyid = the device id, which is
 * the first 16 bytes of SHA-256 of the raw public key, hex).
 */
export const HubEnrollRequestSchema = Type.Object(
  {
    token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' }),
    /** The device's Ed25519 public key, raw 32 bytes, base64. */
    publicKey: B64Hash,
    user: Text(256),
    machine: Text(256),
    os: Text(256),
    wardenVersion: Text(64),
    /** The device's chain head now (null: no record yet): a record later sent at that seq must have that hash. */
    head: Type.Union([HubHeadSchema, Type.Null()]),
    /** Where uploads will start: the first seq the device sends and that record's prev_hash. */
    start: Type.Object(
      { seq: Type.Integer({ minimum: 1 }), prevHash: Hex64 },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type HubEnrollRequest = Static<typeof HubEnrollRequestSchema>;

export const HubEnrollResponseSchema = Type.Object(
  {
    deviceId: DeviceId,
    /** The hub's verifier key (as in the enrollment string) and its log's checkpoint origin. */
    hubKey: Type.String(),
    origin: Type.String(),
    /** The latest signed checkpoint: the device keeps it as the first tree it saw. */
    checkpoint: Type.String(),
    /** What the hub holds of this device already (null: nothing; a re-enrolled key starts over). */
    acknowledged: Type.Union([HubHeadSchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type HubEnrollResponse = Static<typeof HubEnrollResponseSchema>;

/**
 * One record of a batch: exactly the columns the device's chain hashes (audit `ChainRow`,
 * `ctx` resolved to its text) and the hash the device computed. `body` and `ctx` are the
 * canonical JSON texts as stored, carried as JSON strings so their bytes survive unchanged.
 * A batch body is NDJSON of these, seq ascending and contiguous, gzip-compressed
 * (`Content-Type: application/x-ndjson`, `Content-Encoding: gzip`).
 */
export const HubRecordSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    time: Type.Integer(),
    kind: Type.String({ minLength: 1, maxLength: 128 }),
    sandbox_id: Type.Union([Type.String({ maxLength: 256 }), Type.Null()]),
    user: Type.String({ maxLength: 256 }),
    host: Type.Union([Type.String({ maxLength: 1024 }), Type.Null()]),
    outcome: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    body: Type.String({ minLength: 2, maxLength: 1024 * 1024 }),
    ctx: Type.Union([Type.String({ minLength: 2, maxLength: 64 * 1024 }), Type.Null()]),
    logged: Type.Union([Type.Integer(), Type.Null()]),
    prev_hash: Hex64,
    hash: Hex64,
  },
  { additionalProperties: false },
);
export type HubRecord = Static<typeof HubRecordSchema>;

/** The Merkle leaf the hub appends for an accepted batch (encoded by hub-protocol `leafBytes`). */
export const HubLeafSchema = Type.Object(
  { device: DeviceId, seq: Seq, hash: Hex64, received: EpochMs },
  { additionalProperties: false },
);
export type HubLeaf = Static<typeof HubLeafSchema>;

export const HubConsistencySchema = Type.Object(
  {
    /** The tree size the device saw last (the `warden-tree-size` it sent). */
    fromSize: Seq,
    proof: Type.Array(B64Hash, { maxItems: 128 }),
  },
  { additionalProperties: false },
);
export type HubConsistency = Static<typeof HubConsistencySchema>;

/**
 * The hub's countersignature of a batch: its signed checkpoint (C2SP tlog-checkpoint in a
 * C2SP signed note, Ed25519), the batch's leaf with its index and RFC 6962 inclusion proof
 * in that checkpoint's tree, and a consistency proof from the tree the device saw last
 * (null when it had seen none, or the same size).
 */
export const HubReceiptSchema = Type.Object(
  {
    checkpoint: Type.String({ maxLength: 8192 }),
    leaf: HubLeafSchema,
    leafIndex: Seq,
    treeSize: Seq,
    inclusion: Type.Array(B64Hash, { maxItems: 64 }),
    consistency: Type.Union([HubConsistencySchema, Type.Null()]),
  },
  { additionalProperties: false },
);
export type HubReceipt = Static<typeof HubReceiptSchema>;

/** 200 to `POST /hub/v1/batches`. */
export const HubBatchResponseSchema = Type.Object(
  {
    /** The device's head as the hub now holds it: the link's new position. */
    acknowledged: HubHeadSchema,
    /** Records newly stored, and records of the batch the hub already held (trimmed overlap). */
    stored: Seq,
    duplicates: Seq,
    receipt: HubReceiptSchema,
  },
  { additionalProperties: false },
);
export type HubBatchResponse = Static<typeof HubBatchResponseSchema>;

/**
 * A gap the device acknowledges: its store's size cap pruned records the hub had not
 * received, and the retention checkpoint at `checkpointSeq` (in its chain, sent later like any
 * record) says so. The hub raises the gap alert and then takes the batch starting at
 * `throughSeq + 1`, whose first record links to `lastHash`.
 */
export const HubGapSchema = Type.Object(
  { checkpointSeq: Seq, throughSeq: Seq, lastHash: Hex64 },
  { additionalProperties: false },
);
export type HubGap = Static<typeof HubGapSchema>;

/** `sha256:<hex>` of a policy's exact bytes. */
const PolicyHash = Type.String({ pattern: '^sha256:[0-9a-f]{64}$' });

/** What a heartbeat answer says of the organisation policy meant for the device. */
export const HubPolicyOfferSchema = Type.Object(
  { hash: PolicyHash, serial: Seq },
  { additionalProperties: false },
);
export type HubPolicyOffer = Static<typeof HubPolicyOfferSchema>;

/**
 * The first line of the signed note that vouches for an organisation policy. The note's text:
 *   warden.dev/organisation-policy/v1
 *   serial <n>            (increases with every `warden hub policy set`; devices refuse older)
 *   group <name or *>
 *   sha256:<hex of the policy's exact bytes>
 * signed with the hub's Ed25519 key (the one devices enrolled with). The policy YAML travels
 * beside it (a note's text cannot hold blank lines): its hash must be the note's.
 */
export const HUB_POLICY_NOTE_HEADER = 'warden.dev/organisation-policy/v1';
/** The largest organisation policy a hub stores and a device fetches. */
export const HUB_POLICY_MAX_BYTES = 1024 * 1024;

/** `GET /hub/v1/policy`: the policy and its signed note. */
export const HubPolicyDocumentSchema = Type.Object(
  { note: Type.String({ maxLength: 4096 }), yaml: Type.String({ maxLength: HUB_POLICY_MAX_BYTES }) },
  { additionalProperties: false },
);
export type HubPolicyDocument = Static<typeof HubPolicyDocumentSchema>;

/** `POST /hub/v1/heartbeat`. */
export const HubHeartbeatRequestSchema = Type.Object(
  {
    head: Type.Union([HubHeadSchema, Type.Null()]),
    /** Sent once after a batch met 409 gap over records the device pruned. */
    gap: Type.Optional(HubGapSchema),
    /** Records above the acknowledged position not yet sent. */
    backlog: Seq,
    /** The device's clock (epoch ms): the hub flags skew. */
    time: EpochMs,
    /** The organisation policy the device enforces (null: none); the hub flags old or modified ones. */
    policy: Type.Optional(Type.Union([PolicyHash, Type.Null()])),
  },
  { additionalProperties: false },
);
export type HubHeartbeatRequest = Static<typeof HubHeartbeatRequestSchema>;

export const HubChallengeSchema = Type.Object(
  { seqs: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: HUB_LIMITS.maxSeqs }) },
  { additionalProperties: false },
);
export type HubChallenge = Static<typeof HubChallengeSchema>;

export const HubHeartbeatResponseSchema = Type.Object(
  {
    /** The hub's clock (epoch ms). */
    time: EpochMs,
    /** What the hub holds of this device. */
    acknowledged: Type.Union([HubHeadSchema, Type.Null()]),
    /** Answer with POST /hub/v1/challenge: the device's hashes at these seqs. */
    challenge: Type.Union([HubChallengeSchema, Type.Null()]),
    /** The latest signed checkpoint, and a consistency proof from the device's `warden-tree-size`. */
    checkpoint: Type.String(),
    consistency: Type.Union([HubConsistencySchema, Type.Null()]),
    /** The organisation policy meant for the device (fetch it from HUB_PATHS.policy when it differs). */
    policy: Type.Optional(Type.Union([HubPolicyOfferSchema, Type.Null()])),
    /** IT asked for a new device key: make one and POST /hub/v1/rotate (absent: no). */
    rotate: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type HubHeartbeatResponse = Static<typeof HubHeartbeatResponseSchema>;

/**
 * `POST /hub/v1/rotate`, signed (RFC 9421, as every request) with the device's current key;
 * `proof` is the new key's Ed25519 signature of hub-protocol `rotationMessage(deviceId,
 * publicKey)` (proof of possession). The device id stays; from then on only the new key signs.
 */
export const HubRotateRequestSchema = Type.Object(
  { publicKey: B64Hash, proof: Type.String({ pattern: '^[A-Za-z0-9+/]{86}==$' }) },
  { additionalProperties: false },
);
export type HubRotateRequest = Static<typeof HubRotateRequestSchema>;

/** A position as one side holds it; hash null: no record there (never sent, or pruned). */
export const HubSeqHashSchema = Type.Object(
  { seq: Type.Integer({ minimum: 1 }), hash: Type.Union([Hex64, Type.Null()]) },
  { additionalProperties: false },
);
export type HubSeqHash = Static<typeof HubSeqHashSchema>;

/** `POST /hub/v1/challenge`: the device's answer. */
export const HubChallengeAnswerSchema = Type.Object(
  { answers: Type.Array(HubSeqHashSchema, { minItems: 1, maxItems: HUB_LIMITS.maxSeqs }) },
  { additionalProperties: false },
);
export type HubChallengeAnswer = Static<typeof HubChallengeAnswerSchema>;

export const HubChallengeResultSchema = Type.Object(
  {
    /** Every answered hash matches what the hub holds. */
    ok: Type.Boolean(),
    /** The lowest answered seq whose hash differs (a fork alert names it), or null. */
    firstDivergent: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type HubChallengeResult = Static<typeof HubChallengeResultSchema>;

/** `GET /hub/v1/heads?seqs=1,500,1000` (at most HUB_LIMITS.maxSeqs): the hub's hashes of the caller's records. */
export const HubHeadsResponseSchema = Type.Object(
  {
    acknowledged: Type.Union([HubHeadSchema, Type.Null()]),
    heads: Type.Array(HubSeqHashSchema),
  },
  { additionalProperties: false },
);
export type HubHeadsResponse = Static<typeof HubHeadsResponseSchema>;

/**
 * Error replies use the API's envelope ({error: {name, message, hint, …}}) with these names
 * and fields; the device's link acts on the name:
 * - 400 BadRequest: malformed batch (park it, alert, no hot loop)
 * - 401 Unauthorized: bad or replayed signature, unknown device, spent or expired token (stop)
 * - 401 DeviceRevoked: the key was revoked on the hub (stop retrying, say so)
 * - 409 ChainFork {seq}: the hub holds a different record at `seq` (divergent records quarantined)
 * - 409 ChainGap {expectedSeq}: the batch does not start at or below the next seq the hub expects
 * - 413 BodyTooLarge: send smaller batches
 * - 429 RateLimited {retryAfter} (+ Retry-After header, seconds): back off
 */
export const HUB_ERROR_NAMES = [
  'BadRequest',
  'Unauthorized',
  'DeviceRevoked',
  'ChainFork',
  'ChainGap',
  'BodyTooLarge',
  'RateLimited',
  'NotFound',
  'InternalError',
] as const;
export type HubErrorName = (typeof HUB_ERROR_NAMES)[number];

/**
 * The alert kinds the hub raises (issue 16 shows them). Records pruned on the device before
 * the hub acknowledged them arrive as a `gap` (the device's store leaves a hole at its size
 * cap); `lag`: a device with a backlog whose newest record the hub holds is old; `verify-failed`:
 * the hub's own verify found a bad row or log; `enroll-failed`: an enrollment with a bad token.
 */
export const HUB_ALERT_KINDS = [
  'fork',
  'gap',
  'rollback',
  'silent',
  'clock-skew',
  'default-partition',
  'lag',
  'verify-failed',
  'enroll-failed',
] as const;
export type HubAlertKind = (typeof HUB_ALERT_KINDS)[number];
