// The terminal's WebSocket (browser mode): an interactive shell on a PTY in a running
// sandbox, the same session the exec upgrade carries for `warden shell`. Binary messages
// are terminal bytes both ways; text messages are the JSON of supervisor/api/terminal.ts.
// If the client goes away first the shell is hung up; when the shell or the sandbox ends,
// the client is told why and the socket closes.

import type { WebSocket } from 'ws';
import { asWardenError } from '../api/errors.ts';
import {
  parseTerminalClientMessage,
  TERMINAL_ARGV,
  TERMINAL_CLOSE,
  TERMINAL_MAX_INPUT,
  type TerminalServerMessage,
} from '../api/terminal.ts';
import { ERROR_STATUS } from '../server/error-status.ts';
import type { WebSocketHandlers } from '../server/server.ts';
import type { ExecProcess } from '../vm/index.ts';
import type { VmSandboxes } from './vm-sandboxes.ts';

const HANGUP_GRACE_MS = 2000;
/** Output waits while this much is queued for a slow client. */
const HIGH_WATER = 1024 * 1024;

export function terminalSockets(d: { vms: Pick<VmSandboxes, 'exec'> }): WebSocketHandlers {
  return {
    'GET /v1/sandboxes/:sandboxId/terminal': ({ params, query, ws }) =>
      bridgeTerminal(
        () =>
          d.vms.exec(params.sandboxId, {
            argv: [...TERMINAL_ARGV],
            stdin: true,
            tty: true,
            cols: query.cols,
            rows: query.rows,
          }),
        ws,
      ),
  };
}

function send(ws: WebSocket, message: TerminalServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

/** Starts the shell with `start` and joins it to `ws` until one of them ends. */
export function bridgeTerminal(start: () => ExecProcess, ws: WebSocket): void {
  let proc: ExecProcess;
  try {
    proc = start();
  } catch (error) {
    const e = asWardenError(error);
    const status = ERROR_STATUS[e.name];
    send(ws, {
      type: 'error',
      error: { name: e.name, message: e.message, status, ...(e.hint ? { hint: e.hint } : {}) },
    });
    ws.close(TERMINAL_CLOSE.refused(status), e.name);
    return;
  }
  let exited = false;
  let clientGone = false;

  proc.started.then(
    (pid) => send(ws, { type: 'ready', pid }),
    (error: Error) => {
      send(ws, { type: 'error', error: { name: 'ShellNotStarted', message: error.message, status: 500 } });
    },
  );

  const pipe = (stream: NodeJS.ReadableStream): Promise<void> =>
    new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(chunk, { binary: true });
        if (ws.bufferedAmount > HIGH_WATER) {
          stream.pause();
          const wait = setInterval(() => {
            if (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER / 4) {
              clearInterval(wait);
              stream.resume();
            }
          }, 20);
        }
      });
      stream.on('end', resolve);
    });
  const outputs = Promise.all([pipe(proc.stdout), pipe(proc.stderr)]);
  void Promise.all([proc.exited, outputs]).then(([status]) => {
    exited = true;
    if (clientGone) return;
    const lost = status.code === null && status.signal === null;
    send(ws, {
      type: 'exit',
      code: status.code,
      signal: status.signal,
      ...(lost ? { reason: 'the sandbox stopped' } : {}),
    });
    ws.close(TERMINAL_CLOSE.exited, lost ? 'sandbox stopped' : 'shell exited');
  });

  ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
    if (exited) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      if (buf.length > TERMINAL_MAX_INPUT * 4) return void ws.close(1009, 'input too large');
      proc.write(buf);
      return;
    }
    const message = parseTerminalClientMessage(buf.toString('utf8'));
    if (!message) return void ws.close(1008, 'not a terminal message');
    proc.resize(message.rows, message.cols);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    clientGone = true;
    if (exited) return;
    proc.kill('SIGHUP');
    setTimeout(() => {
      if (!exited) proc.kill('SIGKILL');
    }, HANGUP_GRACE_MS).unref();
  });
}
