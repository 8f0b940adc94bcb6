// The upstream half of a spliced CONNECT tunnel: a TCP connection whose reads land in one
// buffer of its own, reused for every read, and are written straight to the client. Node's
// stream path (a fresh 64 KiB buffer per read, Readable.push, pipe's 'data' listener)
// cost about twice the CPU per byte (1 GiB relayed over loopback: ~1.0 s of CPU piped,
// ~0.5 s here); the bytes are counted by the socket itself (bytesRead).

import net from 'node:net';
import type { ResolvedAddress } from './resolver.ts';

/** Bytes read per call; Node's own read size, so memory per tunnel stays what it was. */
export const RELAY_READ_BYTES = 64 * 1024;

/** A connected-to-be upstream socket and the client its bytes go to, once that is set. */
export interface RelayedUpstream {
  socket: net.Socket;
  /** Where what the upstream sends goes from now on (before: it waits in the kernel). */
  relayTo(client: net.Socket): void;
}

/**
 * Connect to a vetted address with reads relayed to a client socket. Until `relayTo` is
 * called the socket does not read. A write the client did not take at once keeps the
 * buffer: reading pauses until that write completes, so the buffer is never overwritten
 * while the kernel has not taken it.
 */
export function connectRelayed(address: ResolvedAddress, port: number): RelayedUpstream {
  let client: net.Socket | undefined;
  let waiting = false;
  const resume = () => {
    if (!waiting) return;
    waiting = false;
    if (!socket.destroyed) socket.resume();
  };
  const onRead = (n: number, buf: Buffer): boolean => {
    if (!client || client.destroyed) return false;
    client.write(buf.subarray(0, n), resume);
    // Written in full by the kernel now: the buffer is free for the next read.
    if (client.writableLength === 0) return true;
    waiting = true;
    return false;
  };
  const socket = net.connect({
    host: address.address,
    port,
    family: address.family,
    // What the client sends goes on at once (a TLS handshake is small writes that wait on
    // each other); Node's http sockets on both sides of a forward request do the same.
    noDelay: true,
    onread: { buffer: Buffer.allocUnsafe(RELAY_READ_BYTES), callback: onRead },
  });
  socket.pause();
  // The upstream's end of stream ends the client's side ('end' needs a flowing stream).
  socket.once('end', () => client?.end());
  return {
    socket,
    relayTo(to: net.Socket) {
      client = to;
      socket.resume();
    },
  };
}
