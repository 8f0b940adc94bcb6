// Browser mode's terminal: the daemon's WebSocket route (supervisor/api/terminal.ts). The
// token travels as a subprotocol, since a browser cannot set a WebSocket's Authorization
// header. Opening resolves when the shell runs; a refusal rejects with the daemon's error.

import {
  isTerminalSize,
  parseTerminalServerMessage,
  type TerminalError,
  TerminalListeners,
  type TerminalSession,
  type TerminalSize,
  terminalPath,
  terminalProtocols,
} from '../../supervisor/api/terminal.ts';
import { BridgeError } from './client.ts';

/** The part of the DOM WebSocket used here (a fake in tests). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

const OPEN = 1;

export interface WsTerminalOptions {
  /** Origin of the daemon's loopback listener ('' = this page's origin). */
  baseUrl: string;
  token: string;
  connect?: WebSocketFactory;
}

/** ws://host:port of an http(s) origin, or of this page when baseUrl is ''. */
export function socketOrigin(baseUrl: string): string {
  const origin = baseUrl || globalThis.location.origin;
  return origin.replace(/^http/, 'ws');
}

export function openWsTerminal(
  opts: WsTerminalOptions,
  sandboxId: string,
  size: TerminalSize,
): Promise<TerminalSession> {
  const connect: WebSocketFactory =
    opts.connect ?? ((url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike);
  const ws = connect(
    `${socketOrigin(opts.baseUrl)}${terminalPath(sandboxId, size)}`,
    terminalProtocols(opts.token),
  );
  ws.binaryType = 'arraybuffer';
  const listeners = new TerminalListeners();
  const encoder = new TextEncoder();
  let closedHere = false;
  const session: TerminalSession = {
    write(data) {
      if (ws.readyState === OPEN && !closedHere) ws.send(encoder.encode(data));
    },
    resize(next) {
      if (ws.readyState === OPEN && !closedHere && isTerminalSize(next))
        ws.send(JSON.stringify({ type: 'resize', cols: next.cols, rows: next.rows }));
    },
    onData: (listener) => listeners.onData(listener),
    onExit: (listener) => listeners.onExit(listener),
    close() {
      if (closedHere) return;
      closedHere = true;
      listeners.close();
      ws.close(1000, 'closed by the user');
    },
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    let refusal: TerminalError | undefined;
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') {
        const data =
          event.data instanceof ArrayBuffer ? new Uint8Array(event.data) : (event.data as Uint8Array);
        listeners.data(data);
        return;
      }
      const message = parseTerminalServerMessage(event.data);
      if (!message) return;
      if (message.type === 'ready') {
        ready = true;
        resolve(session);
      } else if (message.type === 'error') {
        refusal = message.error;
        if (ready) listeners.exit({ code: null, signal: null, reason: message.error.message });
      } else {
        listeners.exit({
          code: message.code,
          signal: message.signal,
          ...(message.reason ? { reason: message.reason } : {}),
        });
      }
    };
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (!ready) {
        reject(
          new BridgeError(
            refusal ?? {
              name: 'TerminalRefused',
              message: `the daemon closed the terminal before it opened (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
              hint: 'check that the sandbox is running; if the page is old, open the URL `warden ui` prints again',
            },
          ),
        );
        return;
      }
      listeners.exit({
        code: null,
        signal: null,
        reason: event.reason || 'the connection to the daemon was lost',
      });
    };
  });
}
