// The typed client of the local API for Node processes (CLI, Electron main, Lens
// extension): over the unix socket, or a loopback URL. Errors come back with the name,
// message and fields the daemon gave them.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { WardenEvent } from './events.ts';
import type { ErrorEnvelope } from './messages.ts';
import { type ApiRoutes, EVENTS_PATH, type RouteKey, routePath } from './routes.ts';

export class ApiClientError extends Error {
  readonly status: number;
  readonly hint?: string;
  readonly details: ErrorEnvelope['error'];
  constructor(status: number, details: ErrorEnvelope['error']) {
    super(details.message);
    this.name = details.name;
    this.status = status;
    this.hint = details.hint;
    this.details = details;
  }
}

export class DaemonUnavailableError extends Error {
  constructor(where: string, cause: string) {
    super(`the Warden daemon is not answering at ${where} (${cause})`);
    this.name = 'DaemonUnavailable';
  }
}

export type ClientTarget = { socketPath: string } | { host: string; port: number };

export interface CallArgs<K extends RouteKey> {
  params?: ApiRoutes[K]['params'];
  query?: Record<string, string | undefined>;
  body?: ApiRoutes[K]['body'];
  timeoutMs?: number;
}

export class ApiClient {
  readonly #target: ClientTarget;
  readonly #token: string;

  constructor(target: ClientTarget, token: string) {
    this.#target = target;
    this.#token = token;
  }

  static async fromFiles(socketPath: string, tokenFile: string): Promise<ApiClient> {
    let token: string;
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new DaemonUnavailableError(
        socketPath,
        `no token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    return new ApiClient({ socketPath }, token);
  }

  get where(): string {
    return 'socketPath' in this.#target
      ? this.#target.socketPath
      : `${this.#target.host}:${this.#target.port}`;
  }

  #options(method: string, path: string): http.RequestOptions {
    const headers: http.OutgoingHttpHeaders = {
      authorization: `Bearer ${this.#token}`,
      accept: 'application/json',
    };
    if ('socketPath' in this.#target) return { socketPath: this.#target.socketPath, method, path, headers };
    return { host: this.#target.host, port: this.#target.port, method, path, headers };
  }

  call<K extends RouteKey>(route: K, args: CallArgs<K> = {}): Promise<ApiRoutes[K]['response']> {
    const { method, path } = routePath(route, (args.params ?? {}) as Record<string, string>);
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(args.query ?? {})) if (v !== undefined) qs.set(k, v);
    const fullPath = qs.size > 0 ? `${path}?${qs}` : path;
    const body = args.body === undefined ? undefined : JSON.stringify(args.body);
    return new Promise((resolve, reject) => {
      const opts = this.#options(method, fullPath);
      if (body !== undefined) opts.headers = { ...opts.headers, 'content-type': 'application/json' };
      const req = http.request(opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            return reject(
              new ApiClientError(res.statusCode ?? 0, { name: 'BadResponse', message: text.slice(0, 200) }),
            );
          }
          if ((res.statusCode ?? 500) >= 400) {
            const envelope = parsed as ErrorEnvelope;
            return reject(
              new ApiClientError(res.statusCode ?? 500, envelope?.error ?? { name: 'Error', message: text }),
            );
          }
          resolve(parsed as ApiRoutes[K]['response']);
        });
      });
      req.setTimeout(args.timeoutMs ?? 30_000, () => req.destroy(new Error('timed out')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(new DaemonUnavailableError(this.where, error.code ?? error.message)),
      );
      req.end(body);
    });
  }

  /** Follow the live event stream until `signal` aborts or the daemon goes away. */
  events(
    onEvent: (event: WardenEvent) => void,
    opts: { types?: string[]; signal?: AbortSignal; onOpen?: () => void } = {},
  ): Promise<void> {
    const path = opts.types?.length ? `${EVENTS_PATH}?types=${opts.types.join(',')}` : EVENTS_PATH;
    return new Promise((resolve, reject) => {
      const req = http.request({ ...this.#options('GET', path), signal: opts.signal }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return reject(
            new ApiClientError(res.statusCode ?? 0, {
              name: 'StreamRefused',
              message: `status ${res.statusCode}`,
            }),
          );
        }
        opts.onOpen?.();
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (data) onEvent(JSON.parse(data) as WardenEvent);
            end = buffer.indexOf('\n\n');
          }
        });
        res.on('end', () => resolve());
        res.on('error', () => resolve());
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.name === 'AbortError') resolve();
        else reject(new DaemonUnavailableError(this.where, error.code ?? error.message));
      });
      req.end();
    });
  }
}
