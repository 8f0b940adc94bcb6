// What a bridge handler in main answers over IPC. Electron keeps only the message of an
// Error thrown across ipcMain.handle (and contextBridge drops an Error's own fields), so a
// failure travels as data and the preload rejects with the plain BridgeError object:
// name, message, status, hint and errors all reach the renderer intact.
// Browser-safe: bundled into the sandboxed preload.

import type { BridgeError } from '../supervisor/api/bridge.ts';

export type BridgeResult = { ok: true; value: unknown } | { ok: false; error: BridgeError };

export function isBridgeResult(value: unknown): value is BridgeResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}
