// The hub's storage, behind one interface with two implementations chosen at the edge
// (`--db sqlite:PATH` → sqlite-store.ts, `--db postgres://…` → pg-store.ts). Records are
// kept as the exact hashed text. Several hub processes may share one database: everything
// that decides continuity runs in `transaction(device)`, with the device's row locked, and
// the Merkle log is appended with its state row locked (always after the device: one order).

import type { HubAlertKind, HubHead, HubLeaf, HubRecord } from '../api/hub.ts';
import type { NodeId } from '../tlog/merkle.ts';

export interface DeviceRow {
  id: string;
  /** Raw Ed25519 public key, base64. */
  publicKey: string;
  user: string;
  machine: string;
  os: string;
  version: string;
  enrolledAt: number;
  revokedAt: number | null;
  /** The first seq the device sends and its prev_hash (the enrollment's `start`). */
  startSeq: number;
  startPrev: string;
  /** The head the device declared at enrollment: a record later sent at that seq must match. */
  enrollHead: HubHead | null;
  /** The last record the hub holds (the acknowledged position). */
  head: HubHead | null;
  lastSeen: number | null;
  backlog: number | null;
  /** Seqs the hub challenged and awaits an answer for (null: none). */
  challenge: number[] | null;
  /** Set once a record landed in PostgreSQL's default partition (wrong clock). */
  defaultPartition: boolean;
}

export type NewDevice = Omit<
  DeviceRow,
  'revokedAt' | 'head' | 'lastSeen' | 'backlog' | 'challenge' | 'defaultPartition'
>;

export interface AlertRow {
  id: number;
  device: string;
  kind: HubAlertKind;
  seq: number | null;
  message: string;
  at: number;
}

export type NewAlert = Omit<AlertRow, 'id'>;

/** A gap the device acknowledged (records fromSeq…throughSeq pruned before the hub got them). */
export interface GapRow {
  device: string;
  fromSeq: number;
  throughSeq: number;
  /** The hash of record throughSeq: the prev_hash of the first record after the gap. */
  lastHash: string;
  /** The device's retention checkpoint record that accounts for the gap. */
  checkpointSeq: number;
  at: number;
}

/** A device's records dropped with a month partition (PostgreSQL retention: pg-retention.ts). */
export interface RetainedRow {
  device: string;
  partition: string;
  fromSeq: number;
  throughSeq: number;
  records: number;
  /** Hash of record throughSeq: the prev_hash of the device's first record kept. */
  lastHash: string;
  at: number;
}

export interface RetentionReport {
  /** The first instant kept: partitions ending at or before it were candidates. */
  cutoff: number;
  dropped: Array<{ partition: string; records: number; devices: number }>;
  kept: Array<{ partition: string; why: string }>;
}

export type EnrollOutcome = 'ok' | 'unknown-token' | 'expired-token' | 'spent-token';

export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  note: string;
}

export interface PlacedLeaf {
  index: number;
  leaf: HubLeaf;
}

export const leafKey = (l: Pick<HubLeaf, 'device' | 'seq'>): string => `${l.device}/${l.seq}`;

/** The Merkle log's part of a transaction: its lock, its nodes, leaves and checkpoints. */
export interface HubLogTx {
  /** The leaf at `index`, and the latest checkpoint (read on this transaction's connection). */
  leafAt(index: number): Promise<HubLeaf | undefined>;
  latestCheckpoint(): Promise<StoredCheckpoint | undefined>;
  /** Lock the Merkle log (until commit) and read its size. */
  lockLog(): Promise<number>;
  /** The first leaf of each (device, seq) that has one, by `leafKey`. */
  leavesOf(keys: ReadonlyArray<Pick<HubLeaf, 'device' | 'seq'>>): Promise<Map<string, PlacedLeaf>>;
  /** Perfect subtree hashes by id (key "level/index"). */
  nodes(ids: readonly NodeId[]): Promise<Map<string, Buffer>>;
  /** Store appended leaves, their new subtrees and the checkpoint of the new size. */
  appendLog(
    first: number,
    leaves: readonly HubLeaf[],
    nodes: ReadonlyArray<NodeId & { hash: Buffer }>,
    checkpoint: StoredCheckpoint,
  ): Promise<void>;
}

/** What one ingest transaction may do; the device's row is locked for its length. */
export interface HubTx extends HubLogTx {
  /** The locked device row (undefined: not enrolled). */
  readonly device: DeviceRow | undefined;
  /** The hub's hashes of this device's records in [from, to]. */
  hashes(from: number, to: number): Promise<Map<number, string>>;
  /** Insert records (a resent one is a no-op); returns how many rows were new. */
  insertRecords(records: readonly HubRecord[], received: number): Promise<number>;
  /** Insert records and move the acknowledged head to `head` (one statement where the store can). */
  advance(records: readonly HubRecord[], received: number, head: HubHead): Promise<number>;
  quarantine(records: readonly HubRecord[], reason: string, at: number): Promise<void>;
  alert(alert: NewAlert): Promise<void>;
  setHead(head: HubHead): Promise<void>;
  setChallenge(seqs: number[] | null): Promise<void>;
  /** The leaf index of (device, seq), if one was appended. */
  leafIndex(seq: number): Promise<number | undefined>;
  /** The acknowledged gap of this device that ends right before `seq`, if one was declared. */
  gapBefore(seq: number): Promise<GapRow | undefined>;
}

export interface HubStore {
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Whether batches' leaves are appended in groups after their records commit (PostgreSQL:
   * concurrent ingests share one log transaction). SQLite runs one transaction at a time
   * in a process anyway: there the leaf is appended in the ingest's own transaction.
   */
  readonly groupsAppends: boolean;
  close(): Promise<void>;
  /** Record the log's verifier key if none is recorded yet; returns the recorded one. */
  claimLogKey(verifierKey: string): Promise<string>;

  addToken(hash: string, createdAt: number, expiresAt: number): Promise<void>;
  /** Spend the token and add the device, in one transaction. */
  enroll(tokenHash: string, now: number, device: NewDevice): Promise<EnrollOutcome>;
  device(id: string): Promise<DeviceRow | undefined>;
  devices(): Promise<DeviceRow[]>;
  revoke(id: string, at: number): Promise<boolean>;
  /** Note a heartbeat. */
  touch(id: string, at: number, backlog: number | null): Promise<void>;

  /** Record a request nonce; false when this device used it before. Forgets nonces older than `forgetBefore`. */
  spendNonce(device: string, nonce: string, created: number, forgetBefore: number): Promise<boolean>;

  transaction<T>(device: string, fn: (tx: HubTx) => Promise<T>): Promise<T>;
  /** A transaction on the Merkle log alone (grouped appends: log.ts). */
  logTransaction<T>(fn: (tx: HubLogTx) => Promise<T>): Promise<T>;
  /**
   * Prepare storage for records with these event times (PostgreSQL: their month partitions);
   * returns how many will land in the default partition (a wrong clock), 0 for SQLite.
   */
  placeRecords(times: readonly number[], now: number): Promise<number>;
  /**
   * Drop the month partitions older than `months` before the current month, each after
   * recording every device's checkpoint of it (PostgreSQL only; SQLite refuses).
   */
  retain(months: number, now: number): Promise<RetentionReport>;
  /** A device's records dropped by retention, oldest first. */
  retained(device: string): Promise<RetainedRow[]>;
  /** Flag a device whose records landed in the default partition. */
  flagDefaultPartition(device: string): Promise<void>;

  alert(alert: NewAlert): Promise<void>;
  alerts(device?: string): Promise<AlertRow[]>;
  /** Record (or, before it is used, correct) an acknowledged gap; false when the same was recorded already. */
  declareGap(gap: GapRow): Promise<boolean>;
  /** A device's acknowledged gaps, by seq. */
  gaps(device: string): Promise<GapRow[]>;
  /** Alerts of `kind` for a device raised at or after `since` (to raise a standing condition once). */
  hasAlert(device: string, kind: HubAlertKind, since: number): Promise<boolean>;

  /** The hub's hashes of a device's records at these seqs. */
  hashesAt(device: string, seqs: readonly number[]): Promise<Map<number, string>>;
  quarantined(device: string): Promise<HubRecord[]>;

  /** The latest checkpoint, or the one of a given size. */
  checkpoint(size?: number): Promise<StoredCheckpoint | undefined>;
  nodes(ids: readonly NodeId[]): Promise<Map<string, Buffer>>;
  /** Leaves [from, to) in index order. */
  leaves(from: number, to: number): Promise<HubLeaf[]>;

  /** A device's records in seq order, from `afterSeq` on, at most `limit`. */
  records(device: string, afterSeq: number, limit: number): Promise<HubRecord[]>;

  // Export destinations (exports/): each with its own cursor, kept beside the records.
  exportTargets(): Promise<ExportTargetRow[]>;
  /** False when a destination of that name exists. */
  addExportTarget(target: NewExportTarget): Promise<boolean>;
  removeExportTarget(name: string): Promise<boolean>;
  /** Move a destination's cursor and note the outcome of its last attempt. */
  saveExportProgress(name: string, progress: ExportProgress): Promise<void>;
}

export type ExportKind = 'otlp' | 'hec' | 'files';

/** Per device, the last seq the destination confirmed. */
export type ExportCursor = Record<string, number>;

export interface ExportProgress {
  cursor: ExportCursor;
  /** Records confirmed so far (all time). */
  exported: number;
  lastError: string | null;
  lastAttempt: number;
  lastSuccess: number | null;
}

export interface ExportTargetRow extends ExportProgress {
  name: string;
  kind: ExportKind;
  /** The endpoint URL or the folder. */
  target: string;
  /** HEC: the file the token is read from (never the token). */
  tokenFile: string | null;
  created: number;
}

export type NewExportTarget = Pick<ExportTargetRow, 'name' | 'kind' | 'target' | 'tokenFile' | 'created'>;

export const nodeKey = (id: NodeId): string => `${id.level}/${id.index}`;

/** Spent nonces older than the signature window are forgotten at most this often (seconds). */
export const NONCE_PRUNE_EVERY_SEC = 10;
