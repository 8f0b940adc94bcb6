// Browser mode: every bridge method is a fetch of its route with the bearer token, and the
// live events are read from `GET /v1/events` with fetch and a streaming body reader
// (EventSource cannot send the Authorization header), reconnecting with backoff. The
// terminal is the daemon's WebSocket route (ws-terminal.ts).

import { type Backoff, backoffDelay } from '../../supervisor/api/backoff.ts';
import { BRIDGE_METHODS, type BridgeArgs, type BridgeMethod } from '../../supervisor/api/bridge.ts';
import type { LiveEvent } from '../../supervisor/api/events.ts';
import type { ErrorEnvelope } from '../../supervisor/api/messages.ts';
import { EVENTS_PATH, type RouteKey, routePath } from '../../supervisor/api/routes.ts';
import { SseParser } from '../../supervisor/api/sse.ts';
import { BridgeError, type ConnectionState, type WardenClient } from './client.ts';
import { openWsTerminal, type WebSocketFactory } from './ws-terminal.ts';

export interface HttpClientOptions {
  /** Origin of the daemon's loopback listener ('' = same origin). */
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  /** Reconnect delays: first, and the ceiling it doubles up to. */
  backoff?: Backoff;
  /** Opens the terminal's WebSocket (default: the DOM WebSocket). */
  connectWebSocket?: WebSocketFactory;
}

export function createHttpClient(opts: HttpClientOptions): WardenClient {
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const backoff = opts.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const auth = { authorization: `Bearer ${opts.token}` };

  async function call(route: RouteKey, args: BridgeArgs<RouteKey> = {}): Promise<unknown> {
    const { method, path } = routePath(route, (args.params ?? {}) as Record<string, string>);
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(args.query ?? {})) if (v !== undefined && v !== '') query.set(k, v);
    const url = `${opts.baseUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method,
        headers: args.body !== undefined ? { ...auth, 'content-type': 'application/json' } : auth,
        ...(args.body !== undefined ? { body: JSON.stringify(args.body) } : {}),
        cache: 'no-store',
      });
    } catch (error) {
      throw new BridgeError({
        name: 'DaemonUnavailable',
        message: `the Warden daemon is not answering (${(error as Error).message})`,
        hint: 'start it with: warden ui',
      });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const envelope = (json as ErrorEnvelope | undefined)?.error;
      throw new BridgeError({
        name: envelope?.name ?? 'HttpError',
        message: envelope?.message ?? `${method} ${path} answered ${res.status}`,
        status: res.status,
        ...(envelope?.hint ? { hint: envelope.hint } : {}),
        ...(envelope?.errors ? { errors: envelope.errors } : {}),
        ...(res.status === 401 && !envelope?.hint
          ? { hint: 'run `warden ui` again and open the new URL: it carries a one-time code' }
          : {}),
      });
    }
    return json;
  }

  const eventListeners = new Set<(event: LiveEvent) => void>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'closed';
  let abort: AbortController | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const l of connectionListeners) l(next);
  };

  async function streamOnce(signal: AbortSignal): Promise<boolean> {
    const res = await doFetch(`${opts.baseUrl}${EVENTS_PATH}?tasks=1`, {
      headers: auth,
      signal,
      cache: 'no-store',
    });
    if (!res.ok || !res.body) return false;
    setState('open');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      for (const { data } of parser.push(value)) {
        let event: LiveEvent;
        try {
          event = JSON.parse(data) as LiveEvent;
        } catch {
          continue;
        }
        for (const l of eventListeners) l(event);
      }
    }
  }

  function startStream(): void {
    const controller = new AbortController();
    abort = controller;
    let attempt = 0;
    const loop = async () => {
      while (!controller.signal.aborted) {
        setState('connecting');
        let opened = false;
        try {
          opened = await streamOnce(controller.signal);
        } catch {}
        if (controller.signal.aborted) break;
        setState('closed');
        if (opened) attempt = 0;
        const delay = backoffDelay(backoff, attempt++);
        await new Promise<void>((resolve) => {
          retryTimer = setTimeout(resolve, delay);
        });
      }
    };
    void loop();
  }

  function stopStreamIfIdle(): void {
    if (eventListeners.size > 0 || connectionListeners.size > 0) return;
    abort?.abort();
    abort = undefined;
    clearTimeout(retryTimer);
    state = 'closed';
  }

  const client = {
    openTerminal: (sandboxId: string, size: { cols: number; rows: number }) =>
      openWsTerminal(
        {
          baseUrl: opts.baseUrl,
          token: opts.token,
          ...(opts.connectWebSocket ? { connect: opts.connectWebSocket } : {}),
        },
        sandboxId,
        size,
      ),
    onEvent(listener: (event: LiveEvent) => void) {
      eventListeners.add(listener);
      if (!abort) startStream();
      return () => {
        eventListeners.delete(listener);
        stopStreamIfIdle();
      };
    },
    onConnection(listener: (state: ConnectionState) => void) {
      connectionListeners.add(listener);
      listener(state);
      return () => {
        connectionListeners.delete(listener);
        stopStreamIfIdle();
      };
    },
  } as Record<string, unknown>;
  for (const [name, route] of Object.entries(BRIDGE_METHODS) as Array<[BridgeMethod, RouteKey]>) {
    client[name] = (args?: BridgeArgs<RouteKey>) => call(route, args);
  }
  return client as unknown as WardenClient;
}
