// The main side of the typed bridge: one ipcMain handler per BRIDGE_METHODS entry on
// bridgeChannel(method), each validating its argument and forwarding it to the daemon's
// API. Answers are BridgeResult envelopes so errors keep their name and fields. Calls
// from anything but the app's own pages, and channels not in the contract, are refused.

import {
  BRIDGE_METHODS,
  type BridgeError,
  type BridgeMethod,
  bridgeChannel,
  CONNECTION_CHANNEL,
  type ConnectionState,
  EVENT_CHANNEL,
  isBridgeMethod,
} from '../supervisor/api/bridge.ts';
import { errorShapeOf } from '../supervisor/api/errors.ts';
import type { RouteKey } from '../supervisor/api/routes.ts';
import { BridgeValidator } from './bridge-validation.ts';
import type { DaemonApi } from './daemon-supervisor.ts';
import type { InvokeEventSurface, IpcMainSurface, WebContentsSurface } from './electron-surface.ts';
import type { EventHub } from './event-hub.ts';
import type { BridgeResult } from './ipc-envelope.ts';

export interface IpcBridgeOptions {
  ipcMain: IpcMainSurface;
  /** The daemon's client; rejects (DaemonUnavailable) while it is not running. */
  getClient(): Promise<DaemonApi>;
  /** The event stream's state, answered on CONNECTION_CHANNEL (default: connecting). */
  connection?(): ConnectionState;
  /** Whether a call comes from the app's own content (default: a file: URL). */
  isTrustedSender?(event: InvokeEventSurface): boolean;
  log?: (line: string) => void;
}

const CHANNEL_PREFIX = 'warden:';

/** A thrown value as the error envelope (the contract's one converter); a daemon that is down is a 503. */
export function toBridgeError(error: unknown): BridgeError {
  const shape = errorShapeOf(error);
  return shape.name === 'DaemonUnavailable' ? { ...shape, status: 503 } : shape;
}

export class IpcBridge {
  readonly #o: IpcBridgeOptions;
  readonly #validator = new BridgeValidator();
  readonly #registered: string[] = [];

  constructor(options: IpcBridgeOptions) {
    this.#o = options;
  }

  /** One handler per bridge method; nothing else is registered. */
  register(): void {
    for (const method of Object.keys(BRIDGE_METHODS) as BridgeMethod[]) {
      const channel = bridgeChannel(method);
      this.#o.ipcMain.handle(channel, (event, ...args) => this.dispatch(channel, event, args));
      this.#registered.push(channel);
    }
    this.#o.ipcMain.handle(CONNECTION_CHANNEL, () => this.#o.connection?.() ?? 'connecting');
    this.#registered.push(CONNECTION_CHANNEL);
  }

  dispose(): void {
    for (const channel of this.#registered.splice(0)) this.#o.ipcMain.removeHandler(channel);
  }

  /** Handle one invoke: channel → method, sender check, argument validation, the API call. */
  async dispatch(channel: string, event: InvokeEventSurface, args: unknown[]): Promise<BridgeResult> {
    const method = channel.startsWith(CHANNEL_PREFIX) ? channel.slice(CHANNEL_PREFIX.length) : undefined;
    if (!isBridgeMethod(method) || bridgeChannel(method) !== channel) {
      return fail({
        name: 'UnknownChannel',
        message: `no bridge function answers on ${channel}`,
        status: 404,
      });
    }
    const trusted = this.#o.isTrustedSender ?? ((e) => e.senderFrame?.url.startsWith('file:') === true);
    if (!trusted(event)) {
      this.#o.log?.(`refused ${channel} from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return fail({
        name: 'Forbidden',
        message: `${method} may only be called by Warden's own window`,
        status: 403,
      });
    }
    if (args.length > 1) {
      return fail({
        name: 'InvalidArguments',
        message: `${method} takes one argument, got ${args.length}`,
        status: 400,
      });
    }
    const checked = this.#validator.validate(method, args[0]);
    if (!checked.ok) return fail(checked.error);
    try {
      const client = await this.#o.getClient();
      const route = BRIDGE_METHODS[method] as RouteKey;
      const value = await client.call(route, checked.args as Parameters<DaemonApi['call']>[1]);
      return { ok: true, value };
    } catch (error) {
      return fail(toBridgeError(error));
    }
  }
}

function fail(error: BridgeError): BridgeResult {
  return { ok: false, error };
}

/** Stream the shared daemon events, and the stream's state, to one window until it is destroyed. */
export function forwardEvents(hub: EventHub, webContents: WebContentsSurface): () => void {
  const send = (channel: string, value: unknown) => {
    if (!webContents.isDestroyed()) webContents.send(channel, value);
  };
  const disposers = [
    hub.subscribe((event) => send(EVENT_CHANNEL, event)),
    hub.onState((state) => send(CONNECTION_CHANNEL, state)),
  ];
  const dispose = () => {
    for (const d of disposers.splice(0)) d();
  };
  webContents.once('destroyed', dispose);
  return dispose;
}
