// The proxy port of a benchmarked guest that never uses one.

import net from 'node:net';

/** A port that takes and closes every connection. */
export async function deadEndProxy(): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}
