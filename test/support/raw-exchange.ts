// Raw bytes to a listener on a fresh connection, for hostile tests: what came back until the
// listener closed, or until `ms` passed (then the socket is destroyed). All on 127.0.0.1.

import net from 'node:net';

export function rawExchange(port: number, data: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.write(data);
  });
}
