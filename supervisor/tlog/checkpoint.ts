// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body a log signs as a note,
// "<origin>\n<tree size>\n<base64 root hash>\n" followed by optional extension lines.

import { HASH_SIZE } from './merkle.ts';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** Extension lines, each without its newline. */
  extensions: string[];
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin.length === 0 || c.origin.includes('\n'))
    throw new CheckpointError('invalid checkpoint origin');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new CheckpointError('invalid tree size');
  if (c.root.length !== HASH_SIZE) throw new CheckpointError('a root hash is 32 bytes');
  for (const e of c.extensions) {
    if (e.length === 0 || e.includes('\n')) throw new CheckpointError('invalid checkpoint extension line');
  }
  const ext = c.extensions.map((e) => `${e}\n`).join('');
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n${ext}`;
}

export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new CheckpointError('a checkpoint ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new CheckpointError('a checkpoint has an origin, a tree size and a root hash');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new CheckpointError('the checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    throw new CheckpointError(`invalid tree size ${JSON.stringify(sizeText.slice(0, 20))}`);
  }
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_SIZE || root.toString('base64') !== rootText) {
    throw new CheckpointError('the root hash is not 32 bytes of standard base64');
  }
  if (extensions.some((e) => e.length === 0)) throw new CheckpointError('a checkpoint holds an empty line');
  return { origin, size: Number(sizeText), root, extensions };
}
