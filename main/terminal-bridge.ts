// The main side of the embedded terminal: the renderer opens, types into, resizes and
// closes a shell over the IPC channels of supervisor/api/terminal.ts; main attaches to the
// daemon's exec upgrade (an interactive `sh` on a PTY) and sends the output and the exit
// back to the window that opened it. Every argument is checked; calls from anything but
// the app's own pages are refused; a window's shells are hung up when it goes away.

import type { BridgeError } from '../supervisor/api/bridge.ts';
import {
  isTerminalSize,
  TERMINAL_ARGV,
  TERMINAL_CHANNELS,
  TERMINAL_MAX_INPUT,
  type TerminalExit,
  type TerminalSize,
} from '../supervisor/api/terminal.ts';
import { type ApiClient, type ExecSession, execInSandbox } from '../supervisor/client/api-client.ts';
import type { InvokeEventSurface, IpcMainSurface } from './electron-surface.ts';
import { toBridgeError } from './ipc-bridge.ts';
import type { BridgeResult } from './ipc-envelope.ts';

export interface TerminalBridgeOptions {
  ipcMain: IpcMainSurface;
  /** Attach an interactive shell in the sandbox (execInSandbox over the exec upgrade). */
  openExec(sandboxId: string, size: TerminalSize): Promise<ExecSession>;
  /** Send to the window whose webContents has this id; false when it is gone. */
  send(senderId: number, channel: string, ...args: unknown[]): boolean;
  isTrustedSender?(event: InvokeEventSurface): boolean;
  log?: (line: string) => void;
}

/** The terminal's shell over the daemon's exec upgrade: `sh` on a PTY of this size, stdin open. */
export function attachShell(
  client: Pick<ApiClient, 'upgrade'>,
  sandboxId: string,
  size: TerminalSize,
): Promise<ExecSession> {
  return execInSandbox(client, sandboxId, { argv: [...TERMINAL_ARGV], stdin: true, tty: size });
}

const TERMINAL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_SANDBOX_ID = 1_000;
/** Shells one window may hold open at once. */
const MAX_PER_WINDOW = 16;

interface Open {
  senderId: number;
  exec: ExecSession;
}

function fail(name: string, message: string, status = 400): BridgeResult {
  return { ok: false, error: { name, message, status } satisfies BridgeError };
}

export class TerminalBridge {
  readonly #o: TerminalBridgeOptions;
  readonly #open = new Map<string, Open>();
  readonly #registered: string[] = [];

  constructor(options: TerminalBridgeOptions) {
    this.#o = options;
  }

  /** How many shells are attached (for tests and the log). */
  get size(): number {
    return this.#open.size;
  }

  register(): void {
    const handlers: Record<string, (event: InvokeEventSurface, args: unknown[]) => Promise<BridgeResult>> = {
      [TERMINAL_CHANNELS.open]: (e, a) => this.open(e, a),
      [TERMINAL_CHANNELS.input]: async (e, a) => this.input(e, a),
      [TERMINAL_CHANNELS.resize]: async (e, a) => this.resize(e, a),
      [TERMINAL_CHANNELS.close]: async (e, a) => this.close(e, a),
    };
    for (const [channel, handler] of Object.entries(handlers)) {
      this.#o.ipcMain.handle(channel, (event, ...args) => {
        if (!this.#trusted(event)) {
          this.#o.log?.(`refused ${channel} from ${event.senderFrame?.url ?? 'an unknown frame'}`);
          return fail('Forbidden', 'the terminal may only be used by Warden’s own window', 403);
        }
        return handler(event, args);
      });
      this.#registered.push(channel);
    }
  }

  /** Remove the handlers and hang up every shell. */
  dispose(): void {
    for (const channel of this.#registered.splice(0)) this.#o.ipcMain.removeHandler(channel);
    for (const key of [...this.#open.keys()]) this.#drop(key);
  }

  /** A window went away: hang up its shells. */
  closeAllFor(senderId: number): void {
    for (const [key, o] of [...this.#open]) if (o.senderId === senderId) this.#drop(key);
  }

  #trusted(event: InvokeEventSurface): boolean {
    const check = this.#o.isTrustedSender ?? ((e) => e.senderFrame?.url.startsWith('file:') === true);
    return check(event);
  }

  #key(event: InvokeEventSurface, id: unknown): string | undefined {
    return typeof id === 'string' && TERMINAL_ID.test(id) ? `${event.sender.id}:${id}` : undefined;
  }

  #drop(key: string): void {
    const o = this.#open.get(key);
    if (!o) return;
    this.#open.delete(key);
    // The daemon hangs the shell up when its connection goes.
    o.exec.detach();
  }

  /** open(terminalId, sandboxId, size): attach, then stream to the sender. */
  async open(event: InvokeEventSurface, args: unknown[]): Promise<BridgeResult> {
    const [id, sandboxId, size] = args;
    const key = this.#key(event, id);
    if (args.length !== 3 || !key)
      return fail('InvalidArguments', 'open takes (terminalId, sandboxId, size)');
    if (typeof sandboxId !== 'string' || sandboxId.length === 0 || sandboxId.length > MAX_SANDBOX_ID)
      return fail('InvalidArguments', 'sandboxId must be a non-empty string');
    if (!isTerminalSize(size))
      return fail('InvalidArguments', 'size must be { cols, rows }, whole numbers 1–1000');
    if (this.#open.has(key)) return fail('InvalidArguments', `terminal ${id as string} is already open`);
    const senderId = event.sender.id;
    if ([...this.#open.values()].filter((o) => o.senderId === senderId).length >= MAX_PER_WINDOW)
      return fail('TooManyTerminals', `a window may hold ${MAX_PER_WINDOW} terminals at once`, 429);
    let exec: ExecSession | undefined;
    try {
      exec = await this.#o.openExec(sandboxId, { cols: size.cols, rows: size.rows });
      await exec.started;
    } catch (error) {
      exec?.detach();
      return { ok: false, error: toBridgeError(error) };
    }
    this.#open.set(key, { senderId, exec });
    const forward = (chunk: Buffer) => {
      if (!this.#open.has(key)) return;
      if (!this.#o.send(senderId, TERMINAL_CHANNELS.data, id, new Uint8Array(chunk))) this.#drop(key);
    };
    exec.stdout.on('data', forward);
    exec.stderr.on('data', forward);
    void exec.exited.then((status) => {
      if (!this.#open.has(key)) return;
      this.#open.delete(key);
      const lost = status.code === null && status.signal === null;
      const exit: TerminalExit = {
        code: status.code,
        signal: status.signal,
        ...(lost ? { reason: status.error ?? 'the sandbox stopped' } : {}),
      };
      this.#o.send(senderId, TERMINAL_CHANNELS.exit, id, exit);
    });
    return { ok: true, value: { terminalId: id } };
  }

  /** input(terminalId, data): keystrokes or a paste. */
  input(event: InvokeEventSurface, args: unknown[]): BridgeResult {
    const [id, data] = args;
    const o = this.#find(event, id);
    if (args.length !== 2 || !o) return fail('UnknownTerminal', 'no such terminal', 404);
    if (typeof data !== 'string' || data.length > TERMINAL_MAX_INPUT)
      return fail('InvalidArguments', `data must be a string of at most ${TERMINAL_MAX_INPUT} characters`);
    o.exec.write(data);
    return { ok: true, value: null };
  }

  /** resize(terminalId, size): the panel changed size. */
  resize(event: InvokeEventSurface, args: unknown[]): BridgeResult {
    const [id, size] = args;
    const o = this.#find(event, id);
    if (args.length !== 2 || !o) return fail('UnknownTerminal', 'no such terminal', 404);
    if (!isTerminalSize(size))
      return fail('InvalidArguments', 'size must be { cols, rows }, whole numbers 1–1000');
    o.exec.resize(size.rows, size.cols);
    return { ok: true, value: null };
  }

  /** close(terminalId): the UI closed it; the shell is hung up. */
  close(event: InvokeEventSurface, args: unknown[]): BridgeResult {
    const key = this.#key(event, args[0]);
    if (args.length !== 1 || !key) return fail('InvalidArguments', 'close takes (terminalId)');
    this.#drop(key);
    return { ok: true, value: null };
  }

  #find(event: InvokeEventSurface, id: unknown): Open | undefined {
    const key = this.#key(event, id);
    return key ? this.#open.get(key) : undefined;
  }
}
