// Host side of the control channel: one connection to the VM's virtio-serial socket,
// multiplexing execs by channel id.

import { existsSync } from 'node:fs';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import {
  type AgentMessage,
  encodeControl,
  encodeData,
  type Frame,
  FrameDecoder,
  FrameType,
  type HostMessage,
  type PtyOptions,
} from '../api/frames.ts';

export interface ExecOptions {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Keep stdin open for write()/end() (default: the command gets /dev/null). */
  stdin?: boolean;
  /** Run under a PTY of this size (stdout then carries the terminal; stderr is empty). */
  pty?: PtyOptions;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface ExecProcess {
  readonly channel: number;
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Resolves with the guest pid once the command started. */
  readonly started: Promise<number>;
  /** Resolves when the command ended (after all of its output arrived). */
  readonly exited: Promise<ExitStatus>;
  write(data: Uint8Array | string): void;
  end(): void;
  kill(signal?: string): void;
  resize(rows: number, cols: number): void;
}

export interface Hello {
  version: number;
  agent: string;
  uptimeMs: number;
  /** Guest uptime when init started (images that report it). */
  initAtMs?: number;
  kernel: string;
  /** The agent can be restored from a snapshot (it applies setup's entropy, clock and mounts). */
  restorable?: boolean;
}

interface Pending {
  stdout: PassThrough;
  stderr: PassThrough;
  resolveStarted: (pid: number) => void;
  rejectStarted: (err: Error) => void;
  resolveExit: (s: ExitStatus) => void;
  errors: string[];
}

/** Connects to a unix socket, retrying until it exists and accepts or the signal aborts. */
export async function connectWithRetry(socketPath: string, signal: AbortSignal): Promise<net.Socket> {
  for (;;) {
    signal.throwIfAborted();
    if (existsSync(socketPath)) {
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(socketPath);
          s.once('connect', () => {
            s.off('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
      } catch {}
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The guest's own view of its memory, as last reported, and when (epoch ms). */
export interface GuestStats {
  memTotalBytes: number;
  memAvailableBytes: number;
  at: number;
}

export class ControlClient {
  private readonly decoder = new FrameDecoder();
  private readonly execs = new Map<number, Pending>();
  private nextChannel = 1;
  private helloWaiters: ((h: Hello) => void)[] = [];
  private vmWaiters: ((m: AgentMessage) => void)[] = [];
  private hello: Hello | undefined;
  private lastStats: GuestStats | undefined;
  private closedReason: string | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();

  constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.close(`protocol error: ${(err as Error).message}`);
        return;
      }
      for (const f of frames) this.onFrame(f);
    });
    socket.on('error', (err) => this.close(`control channel error: ${err.message}`));
    socket.on('close', () => this.close('control channel closed'));
  }

  /** The guest's latest report of its own memory (absent before setup, or from an older agent). */
  get stats(): GuestStats | undefined {
    return this.lastStats;
  }

  /** The agent's hello (waits for it). */
  waitHello(): Promise<Hello> {
    if (this.hello) return Promise.resolve(this.hello);
    return new Promise((resolve) => this.helloWaiters.push(resolve));
  }

  /** Hands the CA and environment to the agent; resolves when it is applied. */
  async setup(message: Omit<Extract<HostMessage, { op: 'setup' }>, 'op'>): Promise<void> {
    const reply = this.nextVmMessage();
    this.send(encodeControl(0, { op: 'setup', ...message }));
    const m = await reply;
    if (m.op !== 'setup-done') throw new Error(`guest setup failed: ${m.op === 'error' ? m.message : m.op}`);
  }

  poweroff(): void {
    if (!this.closedReason) this.send(encodeControl(0, { op: 'poweroff' }));
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  exec(opts: ExecOptions): ExecProcess {
    if (this.closedReason) throw new Error(`cannot exec: ${this.closedReason}`);
    if (opts.argv.length === 0) throw new Error('exec needs a command');
    const channel = this.nextChannel++;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let resolveStarted!: (pid: number) => void;
    let rejectStarted!: (err: Error) => void;
    let resolveExit!: (s: ExitStatus) => void;
    const started = new Promise<number>((res, rej) => {
      resolveStarted = res;
      rejectStarted = rej;
    });
    started.catch(() => {});
    const exited = new Promise<ExitStatus>((res) => {
      resolveExit = res;
    });
    this.execs.set(channel, { stdout, stderr, resolveStarted, rejectStarted, resolveExit, errors: [] });
    const message: HostMessage = { op: 'exec', argv: opts.argv, stdin: Boolean(opts.stdin) };
    if (opts.env) message.env = opts.env;
    if (opts.cwd) message.cwd = opts.cwd;
    if (opts.pty) message.pty = opts.pty;
    this.send(encodeControl(channel, message));
    return {
      channel,
      stdout,
      stderr,
      started,
      exited,
      write: (data) => {
        const buf = typeof data === 'string' ? Buffer.from(data) : data;
        for (const f of encodeData(FrameType.stdin, channel, buf)) this.send(f);
      },
      end: () => this.send(encodeControl(channel, { op: 'stdin-eof' })),
      kill: (signal = 'SIGTERM') => this.send(encodeControl(channel, { op: 'kill', signal })),
      resize: (rows, cols) => this.send(encodeControl(channel, { op: 'resize', rows, cols })),
    };
  }

  close(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.socket.destroy();
    for (const [, p] of this.execs) {
      p.rejectStarted(new Error(reason));
      p.stdout.end();
      p.stderr.end();
      p.resolveExit({ code: null, signal: null });
    }
    this.execs.clear();
    for (const l of [...this.closeListeners]) l(reason);
  }

  private send(frame: Buffer): void {
    if (!this.closedReason) this.socket.write(frame);
  }

  private nextVmMessage(): Promise<AgentMessage> {
    return new Promise((resolve) => this.vmWaiters.push(resolve));
  }

  private onFrame(f: Frame): void {
    if (f.type !== FrameType.control) {
      const p = this.execs.get(f.channel);
      if (!p) return;
      (f.type === FrameType.stderr ? p.stderr : p.stdout).write(f.data);
      return;
    }
    const m = f.message as AgentMessage;
    if (f.channel === 0) {
      if (m.op === 'hello') {
        this.hello = { version: m.version, agent: m.agent, uptimeMs: m.uptimeMs, kernel: m.kernel };
        if (typeof m.initAtMs === 'number') this.hello.initAtMs = m.initAtMs;
        if (m.restorable === true) this.hello.restorable = true;
        const waiters = this.helloWaiters;
        this.helloWaiters = [];
        for (const w of waiters) w(this.hello);
        return;
      }
      if (m.op === 'stats') {
        // Unasked: never an answer to a waiter (setup's). Only plausible figures are kept.
        const { memTotalBytes: total, memAvailableBytes: available } = m;
        if (
          Number.isSafeInteger(total) &&
          Number.isSafeInteger(available) &&
          available >= 0 &&
          available <= total
        )
          this.lastStats = { memTotalBytes: total, memAvailableBytes: available, at: Date.now() };
        return;
      }
      this.vmWaiters.shift()?.(m);
      return;
    }
    const p = this.execs.get(f.channel);
    if (!p) return;
    switch (m.op) {
      case 'started':
        p.resolveStarted(m.pid);
        break;
      case 'error':
        p.errors.push(m.message);
        p.stderr.write(`warden: ${m.message}\n`);
        break;
      case 'exit':
        this.execs.delete(f.channel);
        p.rejectStarted(new Error(p.errors.join('; ') || 'the command did not start'));
        p.stdout.end();
        p.stderr.end();
        p.resolveExit({ code: m.code, signal: m.signal });
        break;
      default:
        break;
    }
  }
}
