// What the API server hands its handlers: the typed inputs of REST, upgrade (exec/attach)
// and WebSocket (terminal) routes, keyed by the route tables in routes.ts.

import type net from 'node:net';
import type { WebSocket } from 'ws';
import type { LocalClient } from '../api/approval-types.ts';
import type {
  ApiRoutes,
  ApiUpgradeRoutes,
  ApiWebSocketRoutes,
  RouteKey,
  UpgradeRouteKey,
  WebSocketRouteKey,
} from '../api/routes.ts';

export interface HandlerInput<K extends RouteKey> {
  params: ApiRoutes[K]['params'];
  query: URLSearchParams;
  body: ApiRoutes[K]['body'];
  /** The local user the request is attributed to. */
  user: string;
  /** The tool the call came from (`X-Warden-Client`; a label, not authentication). */
  client: LocalClient;
  /** Aborted when the client goes away before the answer is sent. */
  signal: AbortSignal;
}

export type Handlers = {
  [K in RouteKey]: (input: HandlerInput<K>) => Promise<ApiRoutes[K]['response']> | ApiRoutes[K]['response'];
};

export interface UpgradeInput<K extends UpgradeRouteKey> {
  params: ApiUpgradeRoutes[K]['params'];
  /** The query, decoded and validated against the route's schema. */
  query: ApiUpgradeRoutes[K]['query'];
  user: string;
  /** Answers `101 Switching Protocols` and hands over the socket. Throw WardenError before it to refuse. */
  accept(): { socket: net.Socket; head: Buffer };
}

export type UpgradeHandlers = {
  [K in UpgradeRouteKey]: (input: UpgradeInput<K>) => Promise<void> | void;
};

export interface WebSocketInput<K extends WebSocketRouteKey> {
  params: ApiWebSocketRoutes[K]['params'];
  query: ApiWebSocketRoutes[K]['query'];
  user: string;
  /** Open: the handshake is done; the handler owns it from here. */
  ws: WebSocket;
}

export type WebSocketHandlers = {
  [K in WebSocketRouteKey]: (input: WebSocketInput<K>) => void;
};
