// What the preload exposes, built from an invoke/subscribe pair so it is testable without
// Electron: exactly the named functions of BRIDGE_METHODS plus onEvent (that is the
// WardenBridge the browser-mode client also implements), never raw ipcRenderer. A failed
// call rejects with the plain BridgeError object (contextBridge would strip an Error's fields).

import {
  BRIDGE_METHODS,
  type BridgeError,
  type BridgeMethod,
  bridgeChannel,
  EVENT_CHANNEL,
  FOCUS_APPROVAL_CHANNEL,
  type WardenBridge,
} from '../supervisor/api/bridge.ts';
import type { WardenEvent } from '../supervisor/api/events.ts';
import { isBridgeResult } from './ipc-envelope.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** Desktop-only extras, exposed as `window.wardenDesktop` so `window.warden` stays exactly WardenBridge. */
export interface WardenDesktop {
  /** Main asks to show an approval's card (a notification or the tray was clicked). */
  onFocusApproval(listener: (approvalId: string) => void): () => void;
}

function subscribe<T>(ipc: IpcRendererLike, channel: string, listener: (value: T) => void): () => void {
  // Never hand the renderer the IpcRendererEvent (it carries `sender`, i.e. ipcRenderer).
  const wrapped = (_event: unknown, value: unknown) => listener(value as T);
  ipc.on(channel, wrapped);
  return () => {
    ipc.removeListener(channel, wrapped);
  };
}

export function createWardenBridge(ipc: IpcRendererLike): WardenBridge {
  const api: Record<string, unknown> = {};
  for (const method of Object.keys(BRIDGE_METHODS) as BridgeMethod[]) {
    const channel = bridgeChannel(method);
    api[method] = async (args?: unknown) => {
      const result = await ipc.invoke(channel, ...(args === undefined ? [] : [args]));
      if (!isBridgeResult(result)) {
        throw { name: 'BadResponse', message: `unexpected answer on ${channel}` } satisfies BridgeError;
      }
      if (!result.ok) throw result.error;
      return result.value;
    };
  }
  api.onEvent = (listener: (event: WardenEvent) => void) => subscribe(ipc, EVENT_CHANNEL, listener);
  return Object.freeze(api) as WardenBridge;
}

export function createWardenDesktop(ipc: IpcRendererLike): WardenDesktop {
  return Object.freeze({
    onFocusApproval: (listener: (approvalId: string) => void) =>
      subscribe<string>(ipc, FOCUS_APPROVAL_CHANNEL, (id) => {
        if (typeof id === 'string') listener(id);
      }),
  });
}
