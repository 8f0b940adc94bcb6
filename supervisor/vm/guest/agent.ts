// The guest agent: runs inside the VM (bundled with esbuild into the image and started
// by init) and serves the control channel — exec with streamed stdin/stdout/stderr, exit
// codes and signals, a PTY with resize, setup (CA, environment) and poweroff.
// It is written against a small `AgentIo` so the host can test it without a VM.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import {
  type AgentMessage,
  encodeControl,
  encodeData,
  type Frame,
  FrameType,
  type HostMessage,
  PROTOCOL_VERSION,
} from '../../api/frames.ts';
import { GUEST_BUSYBOX } from '../image/guest-files.ts';
import { applySandboxState, type GuestSystem, nodeGuestSystem, type SandboxState } from './sandbox-state.ts';
import { type SpareShell, shellQuote } from './spare-shell.ts';

export const AGENT_NAME = 'warden-agent/0.1';

export interface AgentIo {
  /** Queue bytes for the host; returns false once the queue is long (caller should pause). */
  write(data: Buffer): boolean;
  /** Calls `fn` once the queue has drained. */
  onDrain(fn: () => void): void;
}

export interface AgentOptions {
  io: AgentIo;
  /** Environment every exec starts from (init's proxy and CA variables). */
  baseEnv: Record<string, string>;
  /** Where setup writes the CA bundle (default /etc/ssl/certs/ca-certificates.crt). */
  caBundlePath?: string;
  /** Runs the power-off (default: sync, then busybox `poweroff -f`). */
  powerOff?: () => void;
  /** The PTY helper (util-linux `script`), default /usr/bin/script. */
  scriptPath?: string;
  /** A shell forked ahead of time for the next command (spare-shell.ts); none: spawn each. */
  spare?: SpareShell;
  /** busybox (stty, hostname, sync, poweroff), default the image's GUEST_BUSYBOX. */
  busybox?: string;
  /** How often the guest's memory is reported once set up (default 2 s; 0: never). */
  statsEveryMs?: number;
  /** Where the memory figures are read (default /proc/meminfo). */
  meminfoPath?: string;
  /** What a restored guest's setup (randomness, clock, mounts) runs against (default: the guest's own). */
  system?: GuestSystem;
}

/** MemTotal and MemAvailable of a /proc/meminfo text, in bytes; undefined when either is missing. */
export function parseMeminfo(text: string): { memTotalBytes: number; memAvailableBytes: number } | undefined {
  const kib = (name: string) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const memTotalBytes = kib('MemTotal');
  const memAvailableBytes = kib('MemAvailable');
  return memTotalBytes === undefined || memAvailableBytes === undefined
    ? undefined
    : { memTotalBytes, memAvailableBytes };
}

/** How often, and how long, a resize that came before its PTY was ready waits for it. */
const PTY_POLL_MS = 10;
const PTY_WAIT_MS = 10_000;

/**
 * A PTY session: `script` runs `sizing` (a shell that sizes the PTY, then execs the command).
 * A resize is applied only once the command has replaced that shell: before, there is no PTY
 * yet, or the shell's own `stty` would undo it. Meanwhile the last size asked for waits.
 */
interface PtyState {
  sizing: string;
  ready: boolean;
  wanted?: { rows: number; cols: number };
  timer?: NodeJS.Timeout;
  waitedMs: number;
}

interface Proc {
  child: ChildProcess;
  done: boolean;
  pty?: PtyState;
}

export class GuestAgent {
  private readonly procs = new Map<number, Proc>();
  private env: Record<string, string>;

  private readonly busybox: string;
  private statsTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: AgentOptions) {
    this.env = { ...opts.baseEnv };
    this.busybox = opts.busybox ?? GUEST_BUSYBOX;
  }

  hello(): void {
    const seconds = (file: string, field = 0): number | undefined => {
      try {
        const n = Number.parseFloat(readFileSync(file, 'utf8').trim().split(' ')[field]!);
        return Number.isFinite(n) ? Math.round(n * 1000) : undefined;
      } catch {
        return undefined;
      }
    };
    const initAtMs = seconds('/run/warden-init-at');
    this.send(0, {
      op: 'hello',
      version: PROTOCOL_VERSION,
      agent: AGENT_NAME,
      uptimeMs: seconds('/proc/uptime') ?? 0,
      kernel: os.release(),
      ...(initAtMs !== undefined ? { initAtMs } : {}),
      restorable: true,
    });
  }

  handle(frame: Frame): void {
    if (frame.type === FrameType.control) {
      this.control(frame.channel, frame.message as HostMessage);
      return;
    }
    if (frame.type === FrameType.stdin) {
      const p = this.procs.get(frame.channel);
      if (p && !p.done && p.child.stdin && !p.child.stdin.destroyed) p.child.stdin.write(frame.data);
    }
  }

  private send(channel: number, message: AgentMessage): void {
    this.opts.io.write(encodeControl(channel, message));
  }

  private control(channel: number, m: HostMessage): void {
    try {
      switch (m.op) {
        case 'setup':
          this.setup(m);
          this.send(channel, { op: 'setup-done' });
          this.startStats();
          return;
        case 'exec':
          this.exec(channel, m);
          return;
        case 'stdin-eof': {
          const p = this.procs.get(channel);
          p?.child.stdin?.end();
          return;
        }
        case 'kill':
          this.kill(channel, m.signal);
          return;
        case 'resize':
          this.resize(channel, m.rows, m.cols);
          return;
        case 'poweroff':
          this.powerOff();
          return;
        default:
          this.send(channel, { op: 'error', message: `unknown op ${(m as { op: string }).op}` });
      }
    } catch (err) {
      this.send(channel, { op: 'error', message: (err as Error).message });
    }
  }

  /** From setup on, the guest's memory every few seconds (the host keeps the latest). */
  private startStats(): void {
    const every = this.opts.statsEveryMs ?? 2000;
    if (every <= 0 || this.statsTimer) return;
    const report = () => {
      try {
        const stats = parseMeminfo(readFileSync(this.opts.meminfoPath ?? '/proc/meminfo', 'utf8'));
        if (stats) this.send(0, { op: 'stats', ...stats });
      } catch {
        // no /proc: nothing to report
      }
    };
    report();
    this.statsTimer = setInterval(report, every);
    this.statsTimer.unref();
  }

  private setup(m: Extract<HostMessage, { op: 'setup' }>): void {
    const state: SandboxState = {};
    if (m.entropy !== undefined) state.entropy = m.entropy;
    if (m.clockMs !== undefined) state.clockMs = m.clockMs;
    if (m.mounts) state.mounts = m.mounts;
    applySandboxState(state, this.opts.system ?? nodeGuestSystem, this.busybox);
    this.env = { ...this.env, ...m.env };
    if (m.caPem) {
      const bundle = this.opts.caBundlePath ?? '/etc/ssl/certs/ca-certificates.crt';
      mkdirSync(bundle.slice(0, bundle.lastIndexOf('/')) || '/', { recursive: true });
      const pem = m.caPem.endsWith('\n') ? m.caPem : m.caPem + '\n';
      if (existsSync(bundle)) appendFileSync(bundle, pem);
      else writeFileSync(bundle, pem);
    }
    if (m.hostname) spawnSync(this.busybox, ['hostname', m.hostname]);
  }

  private exec(channel: number, m: Extract<HostMessage, { op: 'exec' }>): void {
    if (this.procs.has(channel)) throw new Error(`channel ${channel} is in use`);
    if (m.argv.length === 0) throw new Error('exec needs argv');
    const env = { ...this.env, ...(m.env ?? {}) };
    let file = m.argv[0]!;
    let args = m.argv.slice(1);
    let pty: PtyState | undefined;
    if (m.pty) {
      // util-linux `script` gives the command a PTY; the command first sizes it.
      const cmd = `stty rows ${m.pty.rows | 0} cols ${m.pty.cols | 0} 2>/dev/null; exec ${m.argv.map(shellQuote).join(' ')}`;
      pty = { sizing: cmd, ready: false, waitedMs: 0 };
      file = this.opts.scriptPath ?? '/usr/bin/script';
      args = ['-q', '-e', '-c', cmd, '/dev/null'];
      env.SHELL = '/bin/sh';
      env.TERM = env.TERM ?? 'xterm-256color';
    }
    const spare = m.pty
      ? undefined
      : this.opts.spare?.take({ argv: m.argv, env, cwd: m.cwd, stdin: Boolean(m.stdin) });
    this.opts.spare?.prepareWhenIdle();
    const child =
      spare ??
      spawn(file, args, {
        env,
        cwd: m.cwd,
        stdio: [m.stdin || m.pty ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true, // its own process group, so kill reaches the whole tree
      });
    const proc: Proc = { child, done: false, ...(pty ? { pty } : {}) };
    this.procs.set(channel, proc);
    const finish = (code: number | null, signal: string | null): void => {
      if (proc.done) return;
      proc.done = true;
      if (proc.pty) clearTimeout(proc.pty.timer);
      this.procs.delete(channel);
      this.send(channel, { op: 'exit', code, signal });
      // The next spare forks once commands pause, off any command's path.
      this.opts.spare?.prepareWhenIdle();
    };
    child.on('error', (err) => {
      this.send(channel, { op: 'error', message: err.message });
      finish(127, null);
    });
    if (spare) {
      // The spare was spawned long ago; it is the command from here on.
      this.send(channel, { op: 'started', pid: spare.pid as number });
      if (!m.stdin) spare.stdin?.end();
    } else {
      child.on('spawn', () => {
        if (child.pid !== undefined) this.send(channel, { op: 'started', pid: child.pid });
      });
    }
    child.stdin?.on('error', () => {}); // EPIPE when the command stops reading
    const pipe = (stream: NodeJS.ReadableStream | null, type: FrameType): void => {
      stream?.on('data', (chunk: Buffer) => {
        let ok = true;
        for (const f of encodeData(type, channel, chunk)) ok = this.opts.io.write(f) && ok;
        if (!ok) {
          stream.pause();
          this.opts.io.onDrain(() => stream.resume());
        }
      });
    };
    pipe(child.stdout, FrameType.stdout);
    pipe(child.stderr, FrameType.stderr);
    child.on('close', (code, signal) => finish(code, signal));
  }

  private kill(channel: number, signal: string): void {
    const p = this.procs.get(channel);
    if (!p || p.done || p.child.pid === undefined) return;
    try {
      process.kill(-p.child.pid, signal as NodeJS.Signals);
    } catch {
      p.child.kill(signal as NodeJS.Signals);
    }
  }

  /** Sizes the PTY of a `script` session, now or (asked before it was ready) once it is. */
  private resize(channel: number, rows: number, cols: number): void {
    const p = this.procs.get(channel);
    if (!p?.pty || p.child.pid === undefined) throw new Error('resize: no PTY on this channel');
    p.pty.wanted = { rows, cols };
    this.applySize(channel, p);
  }

  /** Applies the size waiting in `p.pty` if its PTY is ready, else looks again shortly. */
  private applySize(channel: number, p: Proc): void {
    const pty = p.pty;
    if (!pty?.wanted || pty.timer || p.done || p.child.pid === undefined) return;
    const child = findPtyChild(p.child.pid);
    // `script`'s child is the forked `script`, then the sizing shell, then the command.
    pty.ready ||= child !== undefined && !commandLine(child.pid).includes(pty.sizing);
    if (!pty.ready && pty.waitedMs < PTY_WAIT_MS) {
      pty.timer = setTimeout(() => {
        pty.timer = undefined;
        pty.waitedMs += PTY_POLL_MS;
        this.applySize(channel, p);
      }, PTY_POLL_MS);
      return;
    }
    const { rows, cols } = pty.wanted;
    pty.wanted = undefined;
    try {
      if (!child) throw new Error(`resize: no PTY appeared within ${PTY_WAIT_MS / 1000} s`);
      const r = spawnSync(this.busybox, [
        'stty',
        '-F',
        child.tty,
        'rows',
        String(rows | 0),
        'cols',
        String(cols | 0),
      ]);
      if (r.status !== 0) throw new Error(`resize: stty failed: ${r.stderr?.toString().trim()}`);
    } catch (err) {
      if (!p.done) this.send(channel, { op: 'error', message: (err as Error).message });
    }
  }

  private powerOff(): void {
    this.opts.spare?.dispose();
    for (const [, p] of this.procs) {
      if (p.child.pid !== undefined) {
        try {
          process.kill(-p.child.pid, 'SIGKILL');
        } catch {}
      }
    }
    if (this.opts.powerOff) return this.opts.powerOff();
    spawnSync(this.busybox, ['sync']);
    spawnSync(this.busybox, ['poweroff', '-f']);
  }
}

/** The child of `parentPid` that has a /dev/pts/N as its stdin, and that pts, if any. */
export function findPtyChild(parentPid: number): { pid: number; tty: string } | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parentPid) continue;
      const tty = readlinkSync(`/proc/${name}/fd/0`);
      if (tty.startsWith('/dev/pts/')) return { pid: Number(name), tty };
    } catch {}
  }
  return undefined;
}

/** A process's argv (empty once it is gone). */
function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}
