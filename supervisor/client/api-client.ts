// The typed client of the local API for Node processes (CLI, Electron main, Lens
// extension): over the unix socket, or a loopback URL. Errors come back with the name,
// message and fields the daemon gave them.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { CLIENT_HEADER, type LocalClient } from '../api/approval-types.ts';
import type { LiveEvent, WardenEvent } from '../api/events.ts';
import { encodeControl, encodeData, type Frame, FrameDecoder, FrameType } from '../api/frames.ts';
import type { ErrorEnvelope } from '../api/messages.ts';
import {
  type ApiRoutes,
  type ApiUpgradeRoutes,
  EVENTS_PATH,
  type RouteKey,
  routePath,
  type UpgradeRouteKey,
} from '../api/routes.ts';
import { EXEC_CHANNEL, EXEC_UPGRADE_PROTOCOL } from '../api/sandbox-types.ts';
import { SseParser } from '../api/sse.ts';

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
  readonly #client: LocalClient | undefined;

  /** `client` names the tool in `X-Warden-Client` (a label for the audit trail, not authentication). */
  constructor(target: ClientTarget, token: string, client?: LocalClient) {
    this.#target = target;
    this.#token = token;
    this.#client = client;
  }

  static async fromFiles(socketPath: string, tokenFile: string, client?: LocalClient): Promise<ApiClient> {
    let token: string;
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (error) {
      throw new DaemonUnavailableError(
        socketPath,
        `no token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
      );
    }
    return new ApiClient({ socketPath }, token, client);
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
      ...(this.#client ? { [CLIENT_HEADER]: this.#client } : {}),
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

  /** Opens an upgrade route; resolves with the socket after `101`, rejects with the daemon's error. */
  upgrade<K extends UpgradeRouteKey>(
    route: K,
    params: ApiUpgradeRoutes[K]['params'],
    query: URLSearchParams,
  ): Promise<{ socket: Socket; head: Buffer }> {
    const { method, path } = routePath(route, params as Record<string, string>);
    return new Promise((resolve, reject) => {
      const opts = this.#options(method, `${path}?${query}`);
      opts.headers = { ...opts.headers, connection: 'Upgrade', upgrade: EXEC_UPGRADE_PROTOCOL };
      const req = http.request(opts);
      req.on('upgrade', (_res, socket: Socket, head: Buffer) => resolve({ socket, head }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let details: ErrorEnvelope['error'] = { name: 'Error', message: text.slice(0, 300) };
          try {
            details = (JSON.parse(text) as ErrorEnvelope).error ?? details;
          } catch {}
          reject(new ApiClientError(res.statusCode ?? 500, details));
        });
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(new DaemonUnavailableError(this.where, error.code ?? error.message)),
      );
      req.end();
    });
  }

  /**
   * Follow the live event stream until `signal` aborts or the daemon goes away; with
   * `tasks: true` the long work's `task.updated` events come too.
   */
  events(
    onEvent: (event: WardenEvent) => void,
    opts?: { types?: string[]; signal?: AbortSignal; onOpen?: () => void; tasks?: false },
  ): Promise<void>;
  events(
    onEvent: (event: LiveEvent) => void,
    opts: { types?: string[]; signal?: AbortSignal; onOpen?: () => void; tasks: true },
  ): Promise<void>;
  events(
    listener: ((event: LiveEvent) => void) | ((event: WardenEvent) => void),
    opts: { types?: string[]; signal?: AbortSignal; onOpen?: () => void; tasks?: boolean } = {},
  ): Promise<void> {
    // Task events only come when asked for, so a WardenEvent listener never sees one.
    const onEvent = listener as (event: LiveEvent) => void;
    const query = new URLSearchParams();
    if (opts.types?.length) query.set('types', opts.types.join(','));
    if (opts.tasks) query.set('tasks', '1');
    const path = query.size ? `${EVENTS_PATH}?${query.toString().replaceAll('%2C', ',')}` : EVENTS_PATH;
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
        const parser = new SseParser();
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          for (const { data } of parser.push(chunk)) {
            let event: LiveEvent;
            try {
              event = JSON.parse(data) as LiveEvent;
            } catch {
              continue; // not an event of ours; throwing here would be an uncaught exception
            }
            onEvent(event);
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

/** A command running in a sandbox, attached over the exec upgrade. */
export interface ExecSession {
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** The guest pid once the command started (rejects if it could not start). */
  readonly started: Promise<number>;
  /** How the command ended; `code` and `signal` are null when the connection was lost. */
  readonly exited: Promise<{ code: number | null; signal: string | null; error?: string }>;
  write(data: Uint8Array | string): void;
  /** Closes the command's stdin. */
  end(): void;
  resize(rows: number, cols: number): void;
  kill(signal?: string): void;
  /** Drops the connection (the daemon then hangs the command up). */
  detach(): void;
}

export interface ExecSessionOptions {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Keep stdin open for write()/end() (default false: the command gets /dev/null). */
  stdin?: boolean;
  tty?: { rows: number; cols: number };
  /** Remove the sandbox when this command ends (see ExecRequest.remove). */
  remove?: boolean;
}

/** The query of the exec upgrade for `opts` (argv and env repeat). */
export function execQuery(opts: ExecSessionOptions): URLSearchParams {
  const qs = new URLSearchParams();
  for (const a of opts.argv) qs.append('argv', a);
  for (const [k, v] of Object.entries(opts.env ?? {})) qs.append('env', `${k}=${v}`);
  if (opts.cwd) qs.set('cwd', opts.cwd);
  if (opts.stdin) qs.set('stdin', 'true');
  if (opts.tty) {
    qs.set('tty', 'true');
    qs.set('rows', String(opts.tty.rows));
    qs.set('cols', String(opts.tty.cols));
  }
  if (opts.remove) qs.set('remove', 'true');
  return qs;
}

/** Runs a command in a sandbox over `POST /v1/sandboxes/:sandboxId/exec` (HTTP Upgrade). */
export function execInSandbox(
  client: Pick<ApiClient, 'upgrade'>,
  sandboxId: string,
  opts: ExecSessionOptions,
): Promise<ExecSession> {
  return client
    .upgrade('POST /v1/sandboxes/:sandboxId/exec', { sandboxId }, execQuery(opts))
    .then(({ socket, head }) => attachExec(socket, head));
}

function attachExec(socket: Socket, head: Buffer): ExecSession {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const decoder = new FrameDecoder();
  let resolveStarted!: (pid: number) => void;
  let rejectStarted!: (e: Error) => void;
  const started = new Promise<number>((res, rej) => {
    resolveStarted = res;
    rejectStarted = rej;
  });
  started.catch(() => {});
  let resolveExit!: (s: { code: number | null; signal: string | null; error?: string }) => void;
  const exited = new Promise<{ code: number | null; signal: string | null; error?: string }>((res) => {
    resolveExit = res;
  });
  const errors: string[] = [];
  let done = false;
  const finish = (s: { code: number | null; signal: string | null; error?: string }) => {
    if (done) return;
    done = true;
    rejectStarted(new Error(errors.join('; ') || s.error || 'the command did not start'));
    stdout.end();
    stderr.end();
    resolveExit(s);
    socket.end();
  };
  const onData = (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      finish({ code: null, signal: null, error: `bad frame from the daemon: ${(error as Error).message}` });
      socket.destroy();
      return;
    }
    for (const f of frames) {
      if (f.type === FrameType.stdout) stdout.write(f.data);
      else if (f.type === FrameType.stderr) stderr.write(f.data);
      else if (f.type === FrameType.control) {
        const m = f.message;
        if (m.op === 'started') resolveStarted(m.pid);
        else if (m.op === 'error') errors.push(m.message);
        else if (m.op === 'exit')
          finish({ code: m.code, signal: m.signal, ...(errors.length ? { error: errors.join('; ') } : {}) });
      }
    }
  };
  socket.on('data', onData);
  socket.on('error', () => {});
  socket.on('close', () =>
    finish({ code: null, signal: null, error: errors.join('; ') || 'the connection to the daemon was lost' }),
  );
  if (head.length > 0) onData(head);
  const send = (b: Buffer) => {
    if (!done && !socket.destroyed) socket.write(b);
  };
  return {
    stdout,
    stderr,
    started,
    exited,
    write: (data) => {
      for (const f of encodeData(
        FrameType.stdin,
        EXEC_CHANNEL,
        typeof data === 'string' ? Buffer.from(data) : data,
      ))
        send(f);
    },
    end: () => send(encodeControl(EXEC_CHANNEL, { op: 'stdin-eof' })),
    resize: (rows, cols) => send(encodeControl(EXEC_CHANNEL, { op: 'resize', rows, cols })),
    kill: (signal = 'SIGTERM') => send(encodeControl(EXEC_CHANNEL, { op: 'kill', signal })),
    detach: () => socket.destroy(),
  };
}
