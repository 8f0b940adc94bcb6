// What the preload exposes, built from an invoke/subscribe pair so it is testable without
// Electron: exactly the named functions of BRIDGE_METHODS plus onEvent (that is the
// WardenBridge the browser-mode client also implements), never raw ipcRenderer. A failed
// call rejects with the plain BridgeError object (contextBridge would strip an Error's fields).

import {
  BRIDGE_METHODS,
  type BridgeError,
  type BridgeMethod,
  bridgeChannel,
  CONNECTION_CHANNEL,
  type ConnectionState,
  EVENT_CHANNEL,
  FOCUS_APPROVAL_CHANNEL,
  isConnectionState,
  type WardenBridge,
  type WardenDesktop,
} from '../supervisor/api/bridge.ts';
import type { LiveEvent } from '../supervisor/api/events.ts';
import {
  isTerminalSize,
  TERMINAL_CHANNELS,
  type TerminalExit,
  TerminalListeners,
  type TerminalSession,
  type TerminalSize,
} from '../supervisor/api/terminal.ts';
import { isBridgeResult } from './ipc-envelope.ts';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export type { WardenDesktop } from '../supervisor/api/bridge.ts';

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
  api.onEvent = (listener: (event: LiveEvent) => void) => subscribe(ipc, EVENT_CHANNEL, listener);
  api.onConnection = (listener: (state: ConnectionState) => void) => onConnection(ipc, listener);
  api.openTerminal = createTerminalOpener(ipc);
  return Object.freeze(api) as WardenBridge;
}

/** The current state (asked once), then every change main sends; a change wins over a late answer. */
function onConnection(ipc: IpcRendererLike, listener: (state: ConnectionState) => void): () => void {
  let changed = false;
  let active = true;
  const dispose = subscribe<unknown>(ipc, CONNECTION_CHANNEL, (state) => {
    if (!active || !isConnectionState(state)) return;
    changed = true;
    listener(state);
  });
  ipc.invoke(CONNECTION_CHANNEL).then(
    (state) => {
      if (active && !changed && isConnectionState(state)) listener(state);
    },
    () => {},
  );
  return () => {
    active = false;
    dispose();
  };
}

async function invokeResult(ipc: IpcRendererLike, channel: string, ...args: unknown[]): Promise<unknown> {
  const result = await ipc.invoke(channel, ...args);
  if (!isBridgeResult(result)) {
    throw { name: 'BadResponse', message: `unexpected answer on ${channel}` } satisfies BridgeError;
  }
  if (!result.ok) throw result.error;
  return result.value;
}

/**
 * The terminal over IPC: main attaches to the daemon's exec upgrade and forwards output and
 * exit on two channels, tagged with the id the preload picked (so nothing that arrives
 * before `open` answers is lost). One listener per channel serves every session.
 */
function createTerminalOpener(ipc: IpcRendererLike): WardenBridge['openTerminal'] {
  const sessions = new Map<string, TerminalListeners>();
  let next = 0;
  let subscribed = false;
  const subscribeOnce = () => {
    if (subscribed) return;
    subscribed = true;
    ipc.on(TERMINAL_CHANNELS.data, (_event, id, data) => {
      if (typeof id === 'string' && data instanceof Uint8Array) sessions.get(id)?.data(data);
    });
    ipc.on(TERMINAL_CHANNELS.exit, (_event, id, exit) => {
      if (typeof id !== 'string') return;
      const listeners = sessions.get(id);
      sessions.delete(id);
      listeners?.exit(exit as TerminalExit);
    });
  };
  return async (sandboxId: string, size: TerminalSize): Promise<TerminalSession> => {
    subscribeOnce();
    const id = `t${Date.now().toString(36)}-${(next++).toString(36)}`;
    const listeners = new TerminalListeners();
    sessions.set(id, listeners);
    try {
      await invokeResult(ipc, TERMINAL_CHANNELS.open, id, sandboxId, size);
    } catch (error) {
      sessions.delete(id);
      throw error;
    }
    const ignore = () => {};
    return Object.freeze({
      write: (data: string) => {
        if (typeof data === 'string' && !listeners.ended)
          ipc.invoke(TERMINAL_CHANNELS.input, id, data).catch(ignore);
      },
      resize: (next: TerminalSize) => {
        if (isTerminalSize(next) && !listeners.ended)
          ipc.invoke(TERMINAL_CHANNELS.resize, id, { cols: next.cols, rows: next.rows }).catch(ignore);
      },
      onData: (listener: (data: Uint8Array) => void) => listeners.onData(listener),
      onExit: (listener: (exit: TerminalExit) => void) => listeners.onExit(listener),
      close: () => {
        if (!sessions.has(id)) return;
        sessions.delete(id);
        listeners.close();
        ipc.invoke(TERMINAL_CHANNELS.close, id).catch(ignore);
      },
    });
  };
}

export function createWardenDesktop(ipc: IpcRendererLike): WardenDesktop {
  return Object.freeze({
    onFocusApproval: (listener: (approvalId: string) => void) =>
      subscribe<string>(ipc, FOCUS_APPROVAL_CHANNEL, (id) => {
        if (typeof id === 'string') listener(id);
      }),
  });
}
