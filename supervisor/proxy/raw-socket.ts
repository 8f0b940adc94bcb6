// Helpers for sockets that left the HTTP parser (CONNECT tunnels and upgrades).

import type { Duplex } from 'node:stream';
import { type BlockInfo, rawBlockResponse } from './block.ts';

export function writeRawBlock(socket: Duplex, info: BlockInfo): void {
  if (socket.destroyed) return;
  // A client that resets while the refusal is written must not become an uncaught error.
  socket.on('error', () => socket.destroy());
  socket.end(rawBlockResponse(info));
  setTimeout(() => socket.destroy(), 2000).unref();
}

/** Join two sockets both ways, counting bytes; `onClose` runs once when either side ends. */
export function splice(
  client: Duplex,
  upstream: Duplex,
  counters: { bytesUp: number; bytesDown: number },
  onClose: () => void,
): void {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    onClose();
  };
  client.on('data', (c: Buffer) => {
    counters.bytesUp += c.length;
  });
  upstream.on('data', (c: Buffer) => {
    counters.bytesDown += c.length;
  });
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
}

/** Answer a request the HTTP parser refused (broken line, huge headers) and close. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
}
