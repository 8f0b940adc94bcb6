// The host⇄guest control channel protocol, used by both the host (supervisor/vm) and the
// guest agent (supervisor/vm/guest/agent.ts, bundled into the image).
//
// A frame is: u32 length (big-endian, counts everything after it) · u8 type · u32 channel ·
// payload. Channel 0 is the VM itself (hello, setup, poweroff); every exec gets its own
// channel id, chosen by the host, so several execs run multiplexed on one stream.
// CONTROL frames carry one JSON message; data frames carry raw bytes.

export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts; data is split into chunks well below it. */
export const MAX_FRAME = 4 * 1024 * 1024;
export const DATA_CHUNK = 64 * 1024;
const HEADER = 9;

export const FrameType = {
  control: 1,
  stdin: 2,
  stdout: 3,
  stderr: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface PtyOptions {
  rows: number;
  cols: number;
}

/** Messages the guest agent sends. */
export type AgentMessage =
  | {
      op: 'hello';
      version: number;
      agent: string;
      uptimeMs: number;
      kernel: string;
      initAtMs?: number;
      /** The agent applies a restored guest's setup (entropy, clock, mounts); older agents ignore those fields. */
      restorable?: boolean;
    }
  | { op: 'setup-done' }
  | { op: 'started'; pid: number }
  | { op: 'exit'; code: number | null; signal: string | null }
  | { op: 'error'; message: string }
  /** Unasked, on channel 0, every few seconds once set up: the guest's own memory (/proc/meminfo). */
  | { op: 'stats'; memTotalBytes: number; memAvailableBytes: number };

/** The 9p shares a guest mounts: the workspace (read-write or read-only), the agents, the agent home. */
export interface GuestMounts {
  workspace?: 'rw' | 'ro';
  agents?: boolean;
  home?: boolean;
}

/** Messages the host sends. */
export type HostMessage =
  | {
      op: 'setup';
      env: Record<string, string>;
      caPem?: string;
      hostname?: string;
      /** Host random bytes (base64) the guest mixes into its CRNG, then reseeds it (a restored guest). */
      entropy?: string;
      /** The host's wall clock (epoch ms) the guest sets (a restored guest's is the snapshot's). */
      clockMs?: number;
      /** The shares the agent mounts (a restored guest; a booted one has stage 2 mount them). */
      mounts?: GuestMounts;
    }
  | {
      op: 'exec';
      argv: string[];
      env?: Record<string, string>;
      cwd?: string;
      stdin: boolean;
      pty?: PtyOptions;
    }
  | { op: 'stdin-eof' }
  | { op: 'kill'; signal: string }
  | { op: 'resize'; rows: number; cols: number }
  | { op: 'poweroff' };

export type ControlMessage = AgentMessage | HostMessage;

export type Frame =
  | { type: typeof FrameType.control; channel: number; message: ControlMessage }
  | {
      type: typeof FrameType.stdin | typeof FrameType.stdout | typeof FrameType.stderr;
      channel: number;
      data: Buffer;
    };

export function encodeFrame(type: FrameType, channel: number, payload: Uint8Array): Buffer {
  if (payload.length + HEADER - 4 > MAX_FRAME) throw new Error(`frame too large (${payload.length} bytes)`);
  if (!Number.isInteger(channel) || channel < 0 || channel > 0xffffffff) throw new Error('bad channel id');
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(payload.length + HEADER - 4, 0);
  head.writeUInt8(type, 4);
  head.writeUInt32BE(channel, 5);
  return Buffer.concat([head, payload]);
}

export function encodeControl(channel: number, message: ControlMessage): Buffer {
  return encodeFrame(FrameType.control, channel, Buffer.from(JSON.stringify(message), 'utf8'));
}

/** Data frames for `data`, split into chunks of at most DATA_CHUNK bytes. */
export function encodeData(type: FrameType, channel: number, data: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += DATA_CHUNK) {
    out.push(encodeFrame(type, channel, data.subarray(at, Math.min(data.length, at + DATA_CHUNK))));
  }
  return out;
}

function parseControl(payload: Buffer): ControlMessage {
  const value: unknown = JSON.parse(payload.toString('utf8'));
  if (typeof value !== 'object' || value === null || typeof (value as { op?: unknown }).op !== 'string') {
    throw new Error('control frame without an op');
  }
  return value as ControlMessage;
}

/** Incremental decoder: push bytes as they arrive, get whole frames back. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 4) break;
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length < HEADER - 4 || length > MAX_FRAME) {
        throw new Error(`bad frame length ${length}`);
      }
      if (this.buffered < 4 + length) break;
      const frame = this.take(4 + length);
      const type = frame.readUInt8(4);
      const channel = frame.readUInt32BE(5);
      const payload = frame.subarray(HEADER);
      if (type === FrameType.control) {
        frames.push({ type, channel, message: parseControl(payload) });
      } else if (type === FrameType.stdin || type === FrameType.stdout || type === FrameType.stderr) {
        frames.push({ type, channel, data: payload });
      } else {
        throw new Error(`unknown frame type ${type}`);
      }
    }
    return frames;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    const first = this.chunks[0]!;
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
