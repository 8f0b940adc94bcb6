// The embedded terminal, written once: an interactive shell on a PTY in a running sandbox.
// Browser mode reaches it over a WebSocket on the loopback API (a browser cannot make the
// exec route's custom HTTP Upgrade); Electron main attaches with the exec upgrade and
// forwards it over IPC. Both carry the same session, so the UI sees one TerminalSession.
// Browser-safe: no Node imports (the daemon, main, the preload and the renderer import it).

/** The WebSocket route: `GET` with `Upgrade: websocket`, size in the query. */
export const TERMINAL_ROUTE = 'GET /v1/sandboxes/:sandboxId/terminal';
/** The subprotocol a client must offer (and the server answers with). */
export const TERMINAL_PROTOCOL = 'warden-terminal.v1';
/**
 * A browser cannot set the Authorization header of a WebSocket: it offers the API token as
 * a second subprotocol, `warden-token.TOKEN` (the server never echoes it back).
 */
export const TERMINAL_TOKEN_PROTOCOL_PREFIX = 'warden-token.';
/** What the shell is: the guest image's sh, as `warden shell` runs it. */
export const TERMINAL_ARGV = ['sh'] as const;
export const TERMINAL_MAX_COLS = 1000;
export const TERMINAL_MAX_ROWS = 1000;
/** The most a single input message may carry (a paste), in characters. */
export const TERMINAL_MAX_INPUT = 64 * 1024;

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** How the shell ended; code and signal are null when the connection was lost instead. */
export interface TerminalExit {
  code: number | null;
  signal: string | null;
  /** Why it ended if not by itself: the sandbox stopped, the daemon went away, … */
  reason?: string;
}

/** A failure opening a terminal, as the daemon names it (the bridge's error shape). */
export interface TerminalError {
  name: string;
  message: string;
  status?: number;
  hint?: string;
}

/**
 * Over the WebSocket, binary messages are terminal bytes (input from the client, output
 * from the daemon); text messages are these JSON objects.
 */
export type TerminalClientMessage = { type: 'resize'; cols: number; rows: number };

export type TerminalServerMessage =
  /** The shell runs (guest pid); output may follow. */
  | { type: 'ready'; pid: number }
  /** The terminal could not be opened (no such sandbox, not running, …); the socket closes. */
  | { type: 'error'; error: TerminalError }
  /** The shell ended; the socket closes. */
  | { type: 'exit'; code: number | null; signal: string | null; reason?: string };

/** WebSocket close codes the daemon uses (4000 + HTTP status for a refusal). */
export const TERMINAL_CLOSE = { exited: 1000, refused: (status: number) => 4000 + (status % 1000) } as const;

/** The session the UI holds, whichever transport carries it. */
export interface TerminalSession {
  /** Keystrokes and pastes, as xterm.js gives them. */
  write(data: string): void;
  resize(size: TerminalSize): void;
  /** Output of the shell; what arrived before the first listener is replayed to it. */
  onData(listener: (data: Uint8Array) => void): () => void;
  /** Called once when the shell ends or the session is lost (or at once if it already has). */
  onExit(listener: (exit: TerminalExit) => void): () => void;
  /** Hangs the shell up and releases the session; onExit listeners are not called. */
  close(): void;
}

/** Opens a terminal; rejects with the daemon's error when it cannot. */
export type OpenTerminal = (sandboxId: string, size: TerminalSize) => Promise<TerminalSession>;

export function isTerminalSize(value: unknown): value is TerminalSize {
  if (typeof value !== 'object' || value === null) return false;
  const { cols, rows } = value as Record<string, unknown>;
  return (
    Number.isInteger(cols) &&
    Number.isInteger(rows) &&
    (cols as number) >= 1 &&
    (rows as number) >= 1 &&
    (cols as number) <= TERMINAL_MAX_COLS &&
    (rows as number) <= TERMINAL_MAX_ROWS
  );
}

/** The path of the WebSocket for a sandbox and an initial size. */
export function terminalPath(sandboxId: string, size: TerminalSize): string {
  return `/v1/sandboxes/${encodeURIComponent(sandboxId)}/terminal?cols=${size.cols}&rows=${size.rows}`;
}

/** The subprotocols a client offers: the terminal's, then the token. */
export function terminalProtocols(token: string): string[] {
  return [TERMINAL_PROTOCOL, `${TERMINAL_TOKEN_PROTOCOL_PREFIX}${token}`];
}

/** The offered subprotocols of a `Sec-WebSocket-Protocol` header: whether ours is there, and the token. */
export function readTerminalProtocols(header: string | undefined): { terminal: boolean; token?: string } {
  const offered = (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const token = offered.find((p) => p.startsWith(TERMINAL_TOKEN_PROTOCOL_PREFIX));
  return {
    terminal: offered.includes(TERMINAL_PROTOCOL),
    ...(token ? { token: token.slice(TERMINAL_TOKEN_PROTOCOL_PREFIX.length) } : {}),
  };
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A client's text message, or null when it is not one the daemon accepts. */
export function parseTerminalClientMessage(text: string): TerminalClientMessage | null {
  const m = parseJson(text);
  if (m?.type === 'resize' && isTerminalSize(m) && Object.keys(m).length === 3)
    return { type: 'resize', cols: m.cols as number, rows: m.rows as number };
  return null;
}

/** A daemon's text message, or null when it is not one. */
export function parseTerminalServerMessage(text: string): TerminalServerMessage | null {
  const m = parseJson(text);
  if (!m) return null;
  if (m.type === 'ready' && typeof m.pid === 'number') return { type: 'ready', pid: m.pid };
  if (m.type === 'error' && typeof m.error === 'object' && m.error !== null) {
    const e = m.error as Record<string, unknown>;
    if (typeof e.name !== 'string' || typeof e.message !== 'string') return null;
    return {
      type: 'error',
      error: {
        name: e.name,
        message: e.message,
        ...(typeof e.status === 'number' ? { status: e.status } : {}),
        ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
      },
    };
  }
  if (m.type === 'exit') {
    const code = typeof m.code === 'number' ? m.code : null;
    const signal = typeof m.signal === 'string' ? m.signal : null;
    return { type: 'exit', code, signal, ...(typeof m.reason === 'string' ? { reason: m.reason } : {}) };
  }
  return null;
}

/**
 * The listener half of a TerminalSession, shared by every transport: output that arrives
 * before anyone listens is kept for the first listener, exit is reported once.
 */
export class TerminalListeners {
  readonly #data = new Set<(data: Uint8Array) => void>();
  readonly #exit = new Set<(exit: TerminalExit) => void>();
  #pending: Uint8Array[] | undefined = [];
  #ended: TerminalExit | undefined;
  #closed = false;

  get ended(): TerminalExit | undefined {
    return this.#ended;
  }

  data(chunk: Uint8Array): void {
    if (this.#closed || this.#ended) return;
    if (this.#pending) this.#pending.push(chunk);
    else for (const l of this.#data) l(chunk);
  }

  exit(exit: TerminalExit): void {
    if (this.#closed || this.#ended) return;
    this.#ended = exit;
    for (const l of this.#exit) l(exit);
  }

  /** The UI closed the session: nothing is delivered any more. */
  close(): void {
    this.#closed = true;
    this.#data.clear();
    this.#exit.clear();
    this.#pending = undefined;
  }

  onData(listener: (data: Uint8Array) => void): () => void {
    this.#data.add(listener);
    const pending = this.#pending;
    this.#pending = undefined;
    for (const chunk of pending ?? []) listener(chunk);
    return () => this.#data.delete(listener);
  }

  onExit(listener: (exit: TerminalExit) => void): () => void {
    if (this.#ended) {
      listener(this.#ended);
      return () => {};
    }
    this.#exit.add(listener);
    return () => this.#exit.delete(listener);
  }
}

/** Electron IPC channels of the terminal (renderer ⇄ main). */
export const TERMINAL_CHANNELS = {
  /** invoke(sandboxId, size) → BridgeResult<{ terminalId }> */
  open: 'warden:terminal-open',
  /** invoke(terminalId, data: string) */
  input: 'warden:terminal-input',
  /** invoke(terminalId, size) */
  resize: 'warden:terminal-resize',
  /** invoke(terminalId) */
  close: 'warden:terminal-close',
  /** main → renderer: (terminalId, data: Uint8Array) */
  data: 'warden:terminal-data',
  /** main → renderer: (terminalId, exit: TerminalExit) */
  exit: 'warden:terminal-exit',
} as const;
