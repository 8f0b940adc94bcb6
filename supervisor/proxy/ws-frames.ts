// WebSocket frames (RFC 6455 §5.2) read off a byte stream and written back, for the
// inspected splice of a sandbox that holds secret placeholders. Whole frames only, up to a
// bound: a frame is passed on once all of it has been seen.

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;

export interface Frame {
  fin: boolean;
  /** The three RSV bits (an extension's), as the top nibble's low three bits. */
  rsv: number;
  opcode: number;
  /** The masking key of a client frame; undefined for a server frame. */
  mask?: Buffer;
  /** The payload, unmasked. */
  payload: Buffer;
  /** The frame's bytes as they came. */
  raw: Buffer;
}

export class FrameError extends Error {}

function unmask(data: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) ^ (mask[i & 3] as number);
  return out;
}

/** Splits a byte stream into frames; bytes of an unfinished frame wait for the next chunk. */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload: number) {}

  push(chunk: Buffer): Frame[] {
    this.#buf = this.#buf.length > 0 ? Buffer.concat([this.#buf, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.#next();
      if (!frame) break;
      frames.push(frame);
    }
    if (frames.length > 0) this.#buf = Buffer.from(this.#buf);
    return frames;
  }

  #next(): Frame | undefined {
    const b = this.#buf;
    if (b.length < 2) return undefined;
    const b0 = b[0] as number;
    const b1 = b[1] as number;
    let at = 2;
    let len = b1 & 0x7f;
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      at = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) throw new FrameError(`a WebSocket frame of ${big} bytes`);
      len = Number(big);
      at = 10;
    }
    if (len > this.maxPayload) throw new FrameError(`a WebSocket frame of ${len} bytes`);
    const masked = (b1 & 0x80) !== 0;
    const mask = masked ? b.subarray(at, at + 4) : undefined;
    if (masked) at += 4;
    if (b.length < at + len) return undefined;
    const data = b.subarray(at, at + len);
    const frame: Frame = {
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 0x7,
      opcode: b0 & 0x0f,
      payload: mask ? unmask(data, Buffer.from(mask)) : Buffer.from(data),
      raw: Buffer.from(b.subarray(0, at + len)),
    };
    if (mask) frame.mask = Buffer.from(mask);
    this.#buf = b.subarray(at + len);
    return frame;
  }
}

/** An unmasked (server) frame around `payload`. */
export function serverFrame(fin: boolean, rsv: number, opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 0x10000 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = (fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | (opcode & 0x0f);
  if (len < 126) head[1] = len;
  else if (len < 0x10000) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}
