// The transparency log's primitives: RFC 6962 Merkle hashing and proofs, C2SP checkpoints
// and signed notes. Pure functions over node:crypto; storage belongs to the caller.

export * from './checkpoint.ts';
export * from './merkle.ts';
export * from './note.ts';
