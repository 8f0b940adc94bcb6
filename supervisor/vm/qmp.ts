// A QMP (QEMU Machine Protocol) connection: one JSON object a line each way. Commands are
// answered in the order sent; events are kept as they come, so a wait never misses one that
// arrived before it began. Used to save a template's device state and to load it again.

import type net from 'node:net';
import { connectWithRetry } from './control-client.ts';

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class Qmp {
  #buf = '';
  #pending: Pending[] = [];
  #events: QmpEvent[] = [];
  #eventWaiters = new Set<() => void>();
  #greeted: Promise<void>;
  #closed: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    let greet!: () => void;
    this.#greeted = new Promise((r) => {
      greet = r;
    });
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buf += chunk;
      for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
        const line = this.#buf.slice(0, nl).trim();
        this.#buf = this.#buf.slice(nl + 1);
        if (line) this.#onMessage(line, greet);
      }
    });
    const onEnd = (why: string) => this.#close(new Error(`QMP: ${why}`));
    socket.on('error', (err) => onEnd(err.message));
    socket.on('close', () => onEnd('the connection closed'));
  }

  /** Connects (retrying until QEMU listens), reads the greeting and enters command mode. */
  static async connect(socketPath: string, signal: AbortSignal): Promise<Qmp> {
    const qmp = new Qmp(await connectWithRetry(socketPath, signal));
    await qmp.#race(qmp.#greeted, signal);
    await qmp.command('qmp_capabilities', undefined, signal);
    return qmp;
  }

  /** Runs a command; resolves with its `return`, rejects with QEMU's error description. */
  command(execute: string, args?: object, signal?: AbortSignal): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    const reply = new Promise<unknown>((resolve, reject) => this.#pending.push({ resolve, reject }));
    this.socket.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
    return signal ? this.#race(reply, signal) : reply;
  }

  /** The first event (since the connection opened) named `name` that `match` accepts. */
  async event(name: string, match: (e: QmpEvent) => boolean, signal: AbortSignal): Promise<QmpEvent> {
    for (;;) {
      const found = this.#events.find((e) => e.event === name && match(e));
      if (found) return found;
      if (this.#closed) throw this.#closed;
      await this.#race(new Promise<void>((r) => this.#eventWaiters.add(r)), signal);
    }
  }

  /** Waits for the MIGRATION event `completed` (the `events` capability must be on); throws on `failed`. */
  async migrationDone(signal: AbortSignal): Promise<void> {
    const e = await this.event(
      'MIGRATION',
      (e) => ['completed', 'failed', 'cancelled'].includes(String(e.data?.status)),
      signal,
    );
    if (e.data?.status !== 'completed') throw new Error(`QMP: the migration ${String(e.data?.status)}`);
  }

  close(): void {
    this.socket.destroy();
    this.#close(new Error('QMP: closed'));
  }

  #onMessage(line: string, greet: () => void): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return this.#close(new Error(`QMP: not JSON: ${line.slice(0, 200)}`));
    }
    if ('QMP' in m) return greet();
    if ('event' in m) {
      this.#events.push(m as unknown as QmpEvent);
      const waiters = [...this.#eventWaiters];
      this.#eventWaiters.clear();
      for (const w of waiters) w();
      return;
    }
    const p = this.#pending.shift();
    if (!p) return;
    if ('error' in m) {
      const err = m.error as { class?: string; desc?: string };
      p.reject(new Error(`QMP: ${err.desc ?? err.class ?? 'error'}`));
    } else p.resolve(m.return);
  }

  #close(err: Error): void {
    if (this.#closed) return;
    this.#closed = err;
    for (const p of this.#pending.splice(0)) p.reject(err);
    const waiters = [...this.#eventWaiters];
    this.#eventWaiters.clear();
    for (const w of waiters) w();
  }

  #race<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}

/** Both ends of a template's migration: the device state only, the RAM staying in its shared file. */
export const SNAPSHOT_CAPABILITIES = {
  capabilities: [
    { capability: 'x-ignore-shared', state: true },
    { capability: 'events', state: true },
  ],
};

/** `exec:` runs its command through /bin/sh: a path is quoted, and refused if it could break out. */
export function shellPath(file: string): string {
  if (/['\n\0]/.test(file)) throw new Error(`path not allowed in a migration command: ${file}`);
  return `'${file}'`;
}
