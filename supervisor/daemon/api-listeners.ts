// The local API's listeners: the unix socket, made under umask 177 and then chmod 0600 so it
// is never open to anyone but its owner, and the browser mode's loopback HTTP listener,
// started on demand at most once (again after a start that failed), its origin kept.

import { chmod } from 'node:fs/promises';
import type { Logger } from '../proxy/index.ts';
import type { ApiServer } from '../server/server.ts';

export class ApiListeners {
  #httpUrl?: string;
  #httpStarting?: Promise<string>;

  constructor(
    private readonly api: ApiServer,
    private readonly log: Logger,
  ) {}

  /** The browser mode's origin, once its listener is up. */
  get httpUrl(): string | undefined {
    return this.#httpUrl;
  }

  /** Listens on the unix socket, readable and writable by its owner only. */
  async listenSocket(socket: string): Promise<void> {
    const previous = process.umask(0o177);
    try {
      await this.api.listen({ socket });
    } finally {
      process.umask(previous);
    }
    await chmod(socket, 0o600);
  }

  /** The loopback HTTP listener (browser mode), started now if it is not running; its origin. */
  startHttp(httpPort = 0): Promise<string> {
    this.#httpStarting ??= (async () => {
      const server = await this.api.listen({ port: httpPort });
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : httpPort;
      this.#httpUrl = `http://127.0.0.1:${port}`;
      this.log.info('browser-mode API listening', { url: this.#httpUrl });
      return this.#httpUrl;
    })();
    this.#httpStarting.catch(() => {
      this.#httpStarting = undefined;
    });
    return this.#httpStarting;
  }
}
