// Device key rotation: the bytes the new key signs to prove possession when the device
// registers it (POST /hub/v1/rotate, signed by the current key). Bound to the device id and
// the new key so a proof cannot be replayed for another device or key.

export const ROTATION_CONTEXT = 'warden-hub-rotate-v1';

export function rotationMessage(deviceId: string, publicKeyB64: string): Buffer {
  return Buffer.from(`${ROTATION_CONTEXT}\n${deviceId}\n${publicKeyB64}\n`, 'utf8');
}
