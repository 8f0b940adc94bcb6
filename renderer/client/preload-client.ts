// Electron: the preload exposes the bridge as `window.warden` (contextBridge). Calls are
// passed through; what they reject with becomes a BridgeError. The event stream's state
// comes from main, which keeps the stream alive across daemon restarts.

import {
  BRIDGE_METHODS,
  type BridgeMethod,
  type WardenBridge,
  type WardenDesktop,
} from '../../supervisor/api/bridge.ts';
import { type ConnectionState, toBridgeError, type WardenClient } from './client.ts';

declare global {
  interface Window {
    warden?: WardenBridge;
    wardenDesktop?: WardenDesktop;
  }
}

export function createPreloadClient(bridge: WardenBridge, desktop?: WardenDesktop): WardenClient {
  const client = {
    ...(desktop ? { onFocusApproval: desktop.onFocusApproval } : {}),
    onEvent: (listener: Parameters<WardenBridge['onEvent']>[0]) => bridge.onEvent(listener),
    openTerminal: async (...args: Parameters<WardenBridge['openTerminal']>) => {
      try {
        return await bridge.openTerminal(...args);
      } catch (error) {
        throw toBridgeError(error);
      }
    },
    onConnection: (listener: (state: ConnectionState) => void) => bridge.onConnection(listener),
  } as Record<string, unknown>;
  for (const name of Object.keys(BRIDGE_METHODS) as BridgeMethod[]) {
    const fn = bridge[name] as (args?: unknown) => Promise<unknown>;
    client[name] = async (args?: unknown) => {
      try {
        return await fn(args);
      } catch (error) {
        throw toBridgeError(error);
      }
    };
  }
  return client as unknown as WardenClient;
}
