// Which local user is on the other end of a loopback TCP connection, where the OS says so:
// on Linux the kernel lists every IPv4 socket with its owner's uid in /proc/net/tcp. Used to
// refuse a browser-mode one-time code offered by another user who read it with `ps`.

import { readFileSync } from 'node:fs';
import type net from 'node:net';

/** 127.0.0.1:port as /proc/net/tcp writes it (address little-endian, port big-endian, hex). */
function procAddress(ip: string, port: number): string | null {
  const parts = ip.replace(/^::ffff:/, '').split('.');
  if (parts.length !== 4) return null;
  const hex = parts
    .reverse()
    .map((p) => Number(p).toString(16).padStart(2, '0'))
    .join('');
  return `${hex}:${port.toString(16).padStart(4, '0')}`.toUpperCase();
}

/**
 * The uid owning the client end of `socket` (a connection accepted on loopback), or
 * undefined where the OS does not tell (not Linux, IPv6, another network namespace).
 */
export function loopbackPeerUid(socket: net.Socket, table = '/proc/net/tcp'): number | undefined {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined;
  const client = procAddress(remoteAddress, remotePort);
  const server = procAddress(localAddress, localPort);
  if (!client || !server) return undefined;
  let text: string;
  try {
    text = readFileSync(table, 'latin1');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
    const f = line.trim().split(/\s+/);
    if (f[1] === client && f[2] === server) {
      const uid = Number(f[7]);
      return Number.isInteger(uid) ? uid : undefined;
    }
  }
  return undefined;
}
