// Helpers for sockets that left the HTTP parser (CONNECT tunnels and upgrades).

import type { Duplex } from 'node:stream';
import { type BlockInfo, rawBlockResponse } from './block.ts';

export function writeRawBlock(socket: Duplex, info: BlockInfo): void {
  if (socket.destroyed) return;
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
