// The device's side of a key rotation IT asked for (a heartbeat answer with `rotate: true`):
// make a new key, register it with the hub in a request signed by the current key (with the
// new key's proof of possession), and only once the hub accepted it replace the key file.
// The device id stays the enrolled one.

import { sign } from 'node:crypto';
import { HUB_PATHS } from '../api/hub.ts';
import { rotationMessage } from '../hub-protocol/rotation.ts';
import { type DeviceKey, rotatedDeviceKey, saveDeviceKey } from './device-key.ts';
import { callHub, type HubTarget } from './hub-client.ts';
import { classify } from './outcome.ts';

/** Register a new key; returns it once the hub accepted it and the key file holds it. */
export async function rotateDeviceKey(target: HubTarget, keyFile: string): Promise<DeviceKey> {
  const next = rotatedDeviceKey(target.key.deviceId);
  const publicKey = next.publicKey.toString('base64');
  const proof = sign(null, rotationMessage(next.deviceId, publicKey), next.privateKey).toString('base64');
  const reply = await callHub(target, {
    method: 'POST',
    path: HUB_PATHS.rotate,
    body: Buffer.from(JSON.stringify({ publicKey, proof })),
  });
  if (reply.status !== 200) throw classify(reply, 'key rotation');
  await saveDeviceKey(keyFile, next);
  return next;
}
