// The splice of a WebSocket for a sandbox that holds secret placeholders: frames are read
// both ways. What the agent sends is searched for placeholders (unmasked, across frames),
// and a frame is passed on only once all of it was searched; what a bound host sends back
// has the injected values redacted, message by message. Compression was not offered
// (Sec-WebSocket-Extensions is dropped from the handshake), so a frame with an RSV bit set
// cannot be read and ends the connection.

import type { Duplex } from 'node:stream';
import type { ResponseRedactor } from './context.ts';
import { type Frame, FrameError, FrameReader, OP_CONTINUATION, serverFrame } from './ws-frames.ts';

/** Largest frame payload read whole (a larger one ends the connection). */
export const MAX_INSPECTED_FRAME = 16 * 1024 * 1024;

export interface WsInspection {
  /** Finds placeholders in the agent's payloads; what it returns blocks the connection. */
  scanner?: { push(chunk: Buffer): Array<{ secret: string; where: string }> };
  /** Redacts injected values in what the host sends. */
  redactor?: ResponseRedactor;
  report(secret: string, where: string): void;
  /** The agent sent a placeholder it may not send here: the connection is being closed. */
  onViolation(found: Array<{ secret: string; where: string }>): void;
  /** The stream could not be read as WebSocket frames: the connection is being closed. */
  onUnreadable(reason: string): void;
}

export function inspectedSplice(
  client: Duplex,
  upstream: Duplex,
  counters: { bytesUp: number; bytesDown: number },
  onClose: () => void,
  inspect: WsInspection,
): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    onClose();
  };
  const unreadable = (reason: string) => {
    if (closed) return;
    inspect.onUnreadable(reason);
    close();
  };

  const fromClient = new FrameReader(MAX_INSPECTED_FRAME);
  const fromHost = new FrameReader(MAX_INSPECTED_FRAME);
  let message: ReturnType<ResponseRedactor['stream']> | undefined;

  const clientFrame = (frame: Frame): boolean => {
    if (frame.rsv !== 0) {
      unreadable('the agent sent a compressed WebSocket frame');
      return false;
    }
    const found = inspect.scanner?.push(frame.payload) ?? [];
    if (found.length > 0) {
      inspect.onViolation(found.map((f) => ({ ...f, where: 'websocket' })));
      // Tell the agent why (close code 1008, policy violation), then end both sides.
      const reason = Buffer.from('Warden: a secret placeholder may not be sent to this host');
      const code = Buffer.from([0x03, 0xf0]);
      closed = true;
      upstream.destroy();
      client.end(serverFrame(true, 0, 0x8, Buffer.concat([code, reason])));
      setTimeout(() => client.destroy(), 2000).unref();
      onClose();
      return false;
    }
    return upstream.write(frame.raw);
  };

  const hostFrame = (frame: Frame): boolean => {
    if (frame.rsv !== 0) {
      unreadable('the host sent a compressed WebSocket frame');
      return false;
    }
    const redactor = inspect.redactor;
    if (!redactor) return client.write(frame.raw);
    const onFound = (secret: string) => inspect.report(secret, 'websocket');
    let payload: Buffer;
    if (frame.opcode >= 0x8) {
      const once = redactor.stream(onFound);
      payload = Buffer.concat([once.push(frame.payload), once.end()]);
    } else {
      if (frame.opcode !== OP_CONTINUATION || !message) message = redactor.stream(onFound);
      payload = message.push(frame.payload);
      if (frame.fin) {
        payload = Buffer.concat([payload, message.end()]);
        message = undefined;
      }
    }
    return client.write(serverFrame(frame.fin, frame.rsv, frame.opcode, payload));
  };

  const pump = (
    source: Duplex,
    sink: Duplex,
    reader: FrameReader,
    each: (f: Frame) => boolean,
    count: (n: number) => void,
  ) => {
    source.on('data', (chunk: Buffer) => {
      if (closed) return;
      count(chunk.length);
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (error) {
        const detail = error instanceof FrameError ? error.message : 'a malformed WebSocket frame';
        return unreadable(
          `${detail} (the limit for a sandbox holding secrets is ${MAX_INSPECTED_FRAME} bytes)`,
        );
      }
      let flowing = true;
      for (const frame of frames) {
        if (closed) return;
        flowing = each(frame) && flowing;
      }
      if (!flowing) source.pause();
    });
    sink.on('drain', () => source.resume());
  };

  pump(client, upstream, fromClient, clientFrame, (n) => {
    counters.bytesUp += n;
  });
  pump(upstream, client, fromHost, hostFrame, (n) => {
    counters.bytesDown += n;
  });
  client.on('end', () => upstream.end());
  upstream.on('end', () => client.end());
  for (const s of [client, upstream]) {
    s.on('error', close);
    s.on('close', close);
  }
}
