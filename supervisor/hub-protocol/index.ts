// The hub protocol's byte-level code, shared by the hub and the device's sync link:
// request signing, the enrollment string, gzip NDJSON batches, leaves and receipt checks.

export * from './batch.ts';
export * from './enrollment.ts';
export * from './receipt.ts';
export * from './rotation.ts';
export * from './signature.ts';
