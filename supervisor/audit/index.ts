// The audit trail's public face: a tamper-evident SQLite store of OCSF records.

export type { AnchorRead, AnchorState } from './anchor.ts';
export { readAnchor } from './anchor.ts';
export { chainHashes } from './batch-chain.ts';
export { canonicalJson } from './canonical.ts';
export type { ChainRow } from './chain.ts';
export { canonicalRow, GENESIS_HASH, rowHash } from './chain.ts';
export type { BatchChain, EncodedBatch } from './encode.ts';
export { batchSize, emptyBatch, encodeEvents } from './encode.ts';
export { AuditRetentionError, AuditSchemaError, AuditWriteError } from './errors.ts';
export type { ExportFormat, ExportOptions } from './export.ts';
export type { GroupCommitOptions } from './group-commit.ts';
export { GroupCommitter } from './group-commit.ts';
export type { HistogramRange } from './histogram.ts';
export type { CheckpointEvent, DeviceInfo, MappedEvent, OcsfContext } from './ocsf.ts';
export { OCSF_VERSION, toOcsf } from './ocsf.ts';
export type { PageOptions } from './query.ts';
export { MAX_PAGE, parseCursor } from './query.ts';
export type { RetentionPolicy } from './retention.ts';
export { SCHEMA_VERSION } from './schema.ts';
export { startModuleWorker } from './start-worker.ts';
export type { AuditStoreOptions, Durability, PruneResult } from './store.ts';
export { AuditStore, localDevice } from './store.ts';
export type { StoredReceipt, SyncLinkRow } from './sync-ledger.ts';
export { SyncLedger } from './sync-ledger.ts';
export { parseDuration, parseTimeArg } from './time.ts';
