// Finding placeholders (`wdn_ph_` + 40 lowercase base32/hex characters) in text, buffers
// and streamed bodies. Byte-level `indexOf`, no string conversion of buffers.

import { PLACEHOLDER_PATTERN, PLACEHOLDER_PREFIX } from '../api/placeholders.ts';

// Any placeholder-shaped token, ours or not, matches PLACEHOLDER_PATTERN: unknown ones are violations too.
export { PLACEHOLDER_PATTERN, PLACEHOLDER_PREFIX };
export const PLACEHOLDER_BODY_LENGTH = 40;
export const PLACEHOLDER_LENGTH = PLACEHOLDER_PREFIX.length + PLACEHOLDER_BODY_LENGTH;

const PREFIX_BYTES = Buffer.from(PLACEHOLDER_PREFIX, 'latin1');

function isBodyByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a);
}

/** Collect the distinct placeholder-shaped tokens of `buf` that start before `startLimit`. */
function scanBuffer(buf: Buffer, out: string[], seen: Set<string>, startLimit = buf.length): void {
  let from = 0;
  while (from < startLimit) {
    const at = buf.indexOf(PREFIX_BYTES, from);
    if (at === -1 || at >= startLimit) return;
    const end = at + PLACEHOLDER_LENGTH;
    if (end > buf.length) return;
    let ok = true;
    for (let i = at + PREFIX_BYTES.length; i < end; i++) {
      if (!isBodyByte(buf[i] as number)) {
        ok = false;
        break;
      }
    }
    if (ok) {
      const token = buf.toString('latin1', at, end);
      if (!seen.has(token)) {
        seen.add(token);
        out.push(token);
      }
      from = end;
    } else {
      from = at + 1;
    }
  }
}

/** Every distinct placeholder-shaped token in `text`, in order of first appearance. */
export function findPlaceholders(text: string | Buffer): string[] {
  const out: string[] = [];
  if (typeof text === 'string') {
    if (!text.includes(PLACEHOLDER_PREFIX)) return out;
    const seen = new Set<string>();
    for (const m of text.matchAll(PLACEHOLDER_PATTERN)) {
      if (!seen.has(m[0])) {
        seen.add(m[0]);
        out.push(m[0]);
      }
    }
    return out;
  }
  scanBuffer(text, out, new Set());
  return out;
}

export interface BodyScanner {
  /** Placeholders completed by this chunk (including ones split across the previous boundary). */
  push(chunk: Buffer): string[];
}

/**
 * A scanner for a streamed body. It keeps the last PLACEHOLDER_LENGTH-1 bytes, so a
 * placeholder split across chunks is found once, when its last byte arrives.
 */
export function createBodyScanner(): BodyScanner {
  const keep = PLACEHOLDER_LENGTH - 1;
  let carry: Buffer = Buffer.alloc(0);
  return {
    push(chunk: Buffer): string[] {
      const out: string[] = [];
      const seen = new Set<string>();
      if (carry.length > 0) {
        // Only tokens starting inside the carry: those entirely in `chunk` are found below.
        const boundary = Buffer.concat([carry, chunk.subarray(0, keep)]);
        scanBuffer(boundary, out, seen, carry.length);
      }
      scanBuffer(chunk, out, seen);
      if (chunk.length >= keep) {
        carry = Buffer.from(chunk.subarray(chunk.length - keep));
      } else {
        const joined = Buffer.concat([carry, chunk]);
        carry = Buffer.from(joined.subarray(Math.max(0, joined.length - keep)));
      }
      return out;
    },
  };
}
