// A TLS front for a plain-HTTP test server on loopback: terminates TLS with a certificate
// for NAME from a test CA (which the daemon trusts as an upstream CA) and pipes the bytes
// to 127.0.0.1:TARGET (read per connection: the front may start before its server), as a company's HTTPS load balancer in front of its registry does.

import net from 'node:net';
import tls from 'node:tls';
import type { CertificateAuthority } from '../../supervisor/ca/index.ts';

export interface TlsFront {
  port: number;
  close(): Promise<void>;
}

export async function startTlsFront(
  ca: CertificateAuthority,
  name: string,
  target: () => number,
): Promise<TlsFront> {
  const context = await ca.secureContextFor(name);
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ SNICallback: (_sni, cb) => cb(null, context) }, (client) => {
    const upstream = net.connect(target(), '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.pipe(upstream).pipe(client);
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
