// AES-256-GCM with a random 12-byte IV per encryption and associated data binding the
// ciphertext to its context.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const MASTER_KEY_BYTES = 32;

export interface SealedBox {
  /** base64 of the 12-byte IV. */
  iv: string;
  /** base64 of the ciphertext. */
  data: string;
  /** base64 of the 16-byte authentication tag. */
  tag: string;
}

export function seal(key: Buffer, plaintext: string, aad: string): SealedBox {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    iv: iv.toString('base64'),
    data: data.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Decrypt, or undefined when the key, the associated data or the box is wrong. */
export function open(key: Buffer, box: SealedBox, aad: string): string | undefined {
  try {
    const iv = Buffer.from(box.iv, 'base64');
    const tag = Buffer.from(box.tag, 'base64');
    if (iv.length !== 12 || tag.length !== 16) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(box.data, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
