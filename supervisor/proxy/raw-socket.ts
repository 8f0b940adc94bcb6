// Helpers for sockets that left the HTTP parser (CONNECT tunnels and upgrades).

import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { type BlockInfo, rawBlockResponse } from './block.ts';

export function writeRawBlock(socket: Duplex, info: BlockInfo): void {
  if (socket.destroyed) return;
  // A client that resets while the refusal is written must not become an uncaught error.
  socket.on('error', () => socket.destroy());
  socket.end(rawBlockResponse(info));
  setTimeout(() => socket.destroy(), 2000).unref();
}

/**
 * Bytes `s` delivers from now on: read from a plain TCP socket's own counter when it closes
 * (no listener on every chunk), else counted chunk by chunk (TLS sockets, other streams).
 */
function inbound(s: Duplex): () => number {
  if (s instanceof net.Socket && !(s instanceof tls.TLSSocket)) {
    // What was read from the kernel but not yet handed out still counts as to come.
    const base = s.bytesRead - s.readableLength;
    return () => s.bytesRead - base;
  }
  let n = 0;
  s.on('data', (c: Buffer) => {
    n += c.length;
  });
  return () => n;
}

/**
 * Join two sockets both ways, counting bytes; `onClose` runs once when either side ends.
 * `upstreamRelayed`: the upstream's reads already go to the client (tunnel-relay.ts).
 */
export function splice(
  client: Duplex,
  upstream: Duplex,
  counters: { bytesUp: number; bytesDown: number; countNow?: () => void },
  onClose: () => void,
  options: { upstreamRelayed?: boolean } = {},
): void {
  let closed = false;
  const up = inbound(client);
  const down = inbound(upstream);
  // The counts reach `counters` when asked (a record ended while the tunnel is open) and at close.
  let upSeen = 0;
  let downSeen = 0;
  counters.countNow = () => {
    const u = up();
    const d = down();
    counters.bytesUp += u - upSeen;
    counters.bytesDown += d - downSeen;
    upSeen = u;
    downSeen = d;
  };
  const close = () => {
    if (closed) return;
    closed = true;
    client.destroy();
    upstream.destroy();
    counters.countNow?.();
    onClose();
  };
  client.pipe(upstream);
  if (!options.upstreamRelayed) upstream.pipe(client);
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
