// The device's Ed25519 key for the team hub, kept like Warden's other keys: a file in the
// home folder, owner-only (0600), written atomically, never printed or logged. The device id
// is derived from the enrolled public key (hub-protocol `deviceIdOf`); a rotated key keeps
// the enrolled id, written after the seed on the same line.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { WardenError } from '../api/errors.ts';
import { deviceIdOf } from '../hub-protocol/enrollment.ts';
import { writeFileAtomic } from '../secrets/private-file.ts';
import { ed25519PrivateKeyObject, rawPublicKey, rawSeed } from '../tlog/note.ts';

export interface DeviceKey {
  privateKey: KeyObject;
  /** Raw 32-byte public key. */
  publicKey: Buffer;
  deviceId: string;
}

function fromPrivate(privateKey: KeyObject, deviceId?: string): DeviceKey {
  const publicKey = rawPublicKey(privateKey);
  return { privateKey, publicKey, deviceId: deviceId ?? deviceIdOf(publicKey) };
}

/** A new key for the device `deviceId` (rotation: the id stays the enrolled one). */
export function rotatedDeviceKey(deviceId: string): DeviceKey {
  return fromPrivate(generateKeyPairSync('ed25519').privateKey, deviceId);
}

/** A new key, in memory until the hub accepts it. */
export function newDeviceKey(): DeviceKey {
  return fromPrivate(generateKeyPairSync('ed25519').privateKey);
}

/** Keep the key in `file` (replacing an earlier enrollment's). */
export async function saveDeviceKey(file: string, key: DeviceKey): Promise<void> {
  const seed = rawSeed(key.privateKey).toString('base64');
  const rotated = key.deviceId !== deviceIdOf(key.publicKey);
  await writeFileAtomic(file, `${seed}${rotated ? ` ${key.deviceId}` : ''}\n`, { mode: 0o600 });
}

/** The key in `file`; refuses a file other users can read, or one that is damaged. */
export async function loadDeviceKey(file: string): Promise<DeviceKey> {
  const hint = 'Enroll this device again: warden sync enroll STRING (ask IT for a new string).';
  let text: string;
  try {
    if (process.platform !== 'win32' && ((await stat(file)).mode & 0o077) !== 0) {
      throw new WardenError(
        'Forbidden',
        `the device key ${file} can be read by other users`,
        `run: chmod 600 ${file}`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof WardenError) throw error;
    throw new WardenError(
      'NotFound',
      `the device key ${file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
      hint,
    );
  }
  const [seedText = '', id, ...rest] = text.trim().split(' ');
  const seed = Buffer.from(seedText, 'base64');
  if (seed.length !== 32 || rest.length > 0 || (id !== undefined && !/^[0-9a-f]{32}$/.test(id)))
    throw new WardenError('BadRequest', `the device key ${file} is damaged`, hint);
  return fromPrivate(ed25519PrivateKeyObject(seed), id);
}
