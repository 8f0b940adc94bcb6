import type net from 'node:net';
import { Interceptor } from '../../supervisor/proxy/intercept.ts';

const orig = Interceptor.prototype.attach;
Interceptor.prototype.attach = function (socket: net.Socket, head: Buffer, target, mode) {
  if (head.length === 0 && !socket.destroyed) {
    const abandoned = () => socket.destroy();
    socket.once('end', abandoned);
    socket.setTimeout(30_000, abandoned);
    socket.once('data', () => {
      socket.off('end', abandoned);
      socket.off('timeout', abandoned);
      socket.setTimeout(0);
    });
  }
  return orig.call(this, socket, head, target, mode);
};
