// Rotating a device's key: IT asks (the page's Rotate, `warden hub device rotate ID`); the
// device's next heartbeat answer carries `rotate: true`; the device makes a new key and
// registers it with POST /hub/v1/rotate, signed by its current key, with the new key's proof
// of possession. The device row keeps its id and gets the new public key, so from then on the
// old key's signatures are refused. Requests live in the hub's database (every hub process).

import { verify } from 'node:crypto';
import { WardenError } from '../api/errors.ts';
import type { HubRotateRequest } from '../api/hub.ts';
import { rotationMessage } from '../hub-protocol/rotation.ts';
import { ed25519PublicKeyObject } from '../tlog/note.ts';
import { fingerprintOf, knownDevice } from './admin-devices.ts';
import type { AdminStore } from './admin-store.ts';
import type { HubService } from './service.ts';
import type { DeviceRow } from './store.ts';

export interface RotationView {
  requested: number;
  admin: string;
  done: number | null;
  oldKey: string;
  newKey: string | null;
}

/** The newest rotation of a device (pending or done), or null. */
export async function lastRotation(admin: AdminStore, device: string): Promise<RotationView | null> {
  const [r] = await admin.db.all<Record<string, unknown>>(
    'SELECT requested, admin, done, old_key, new_key FROM hub_key_rotations WHERE device = ? ORDER BY id DESC LIMIT 1',
    [device],
  );
  if (!r) return null;
  return {
    requested: Number(r.requested),
    admin: String(r.admin),
    done: r.done == null ? null : Number(r.done),
    oldKey: String(r.old_key),
    newKey: r.new_key == null ? null : String(r.new_key),
  };
}

export async function rotationPending(admin: AdminStore, device: string): Promise<boolean> {
  const last = await lastRotation(admin, device);
  return last !== null && last.done === null;
}

/** IT asks for a new key; idempotent while one is pending. */
export async function requestRotation(
  service: HubService,
  admin: AdminStore,
  id: string,
  who: string,
  now: number,
): Promise<RotationView> {
  const device = await knownDevice(service, id);
  if (device.revokedAt !== null)
    throw new WardenError(
      'BadRequest',
      `device ${id} is revoked`,
      'A revoked device enrolls again with a new token.',
    );
  const last = await lastRotation(admin, id);
  if (last && last.done === null) return last;
  await admin.db.run(
    'INSERT INTO hub_key_rotations (device, admin, requested, old_key) VALUES (?, ?, ?, ?)',
    [id, who, now, device.publicKey],
  );
  await admin.record(now, who, 'device.rotate', id);
  return (await lastRotation(admin, id))!;
}

/** The device (authenticated with its current key) registers its new key. */
export async function completeRotation(
  admin: AdminStore,
  device: DeviceRow,
  req: HubRotateRequest,
  now: number,
): Promise<{ ok: true; fingerprint: string }> {
  const pending = await lastRotation(admin, device.id);
  if (!pending || pending.done !== null)
    throw new WardenError(
      'Forbidden',
      'no key rotation was asked for this device',
      'IT starts one: warden hub device rotate ID.',
    );
  const newKey = Buffer.from(req.publicKey, 'base64');
  if (req.publicKey === device.publicKey)
    throw new WardenError('BadRequest', 'the new key is the current key');
  if (
    !verify(
      null,
      rotationMessage(device.id, req.publicKey),
      ed25519PublicKeyObject(newKey),
      Buffer.from(req.proof, 'base64'),
    )
  )
    throw new WardenError('Unauthorized', "the new key's proof of possession does not verify");
  await admin.db.tx(async (db) => {
    // Only from the key that signed this request (two racing rotations: one wins).
    const n = await db.run('UPDATE devices SET public_key = ? WHERE id = ? AND public_key = ?', [
      req.publicKey,
      device.id,
      device.publicKey,
    ]);
    if (n === 0) throw new WardenError('Unauthorized', 'the device key changed while rotating');
    await db.run('UPDATE hub_key_rotations SET done = ?, new_key = ? WHERE device = ? AND done IS NULL', [
      now,
      req.publicKey,
      device.id,
    ]);
  });
  const fingerprint = fingerprintOf(req.publicKey);
  await admin.record(
    now,
    `device:${device.id}`,
    'device.rotated',
    `${fingerprintOf(device.publicKey)} -> ${fingerprint}`,
  );
  return { ok: true, fingerprint };
}
