// A CONNECT's client while its tunnel waits for a human: the socket is read, so a client
// that hangs up is noticed at once (a paused socket never sees its peer close, and the card
// would wait, then open the tunnel for nobody); what it sends meanwhile (some clients send
// their ClientHello before the 200) is kept for the tunnel, up to a bound.

import type net from 'node:net';

/** The most a held client's early bytes are kept; past it the socket is paused again. */
const MAX_EARLY = 64 * 1024;

export interface HeldClient {
  /** Stop watching: the socket is paused again, and what it sent meanwhile is returned. */
  release(): Buffer;
}

/** Watch `socket` while its CONNECT waits; `gone` runs when the client ends its side. */
export function watchHeldClient(socket: net.Socket, gone: () => void): HeldClient {
  const early: Buffer[] = [];
  let size = 0;
  const data = (chunk: Buffer) => {
    early.push(chunk);
    size += chunk.length;
    if (size >= MAX_EARLY) socket.pause();
  };
  socket.on('data', data);
  socket.once('end', gone);
  return {
    release() {
      socket.off('data', data);
      socket.off('end', gone);
      socket.pause();
      return early.length === 0 ? Buffer.alloc(0) : Buffer.concat(early);
    },
  };
}
