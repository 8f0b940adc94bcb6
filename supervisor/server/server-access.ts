// Who may use the API server: the bearer token on every request (a WebSocket may carry it as a
// subprotocol, since browsers cannot set Authorization), and on the loopback TCP listener a
// Host and Origin of this very server, so a web page cannot reach it through DNS rebinding.

import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { CLIENT_HEADER, isLocalClient, LOCAL_CLIENTS, type LocalClient } from '../api/approval-types.ts';
import { WardenError } from '../api/errors.ts';
import { readTerminalProtocols } from '../api/terminal.ts';

/** Why a request to the TCP listener `server` is refused (its Host or Origin), or null. */
export function originProblem(req: http.IncomingMessage, server: http.Server): string | null {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const allowed = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  if (!allowed.has(String(req.headers.host ?? '').toLowerCase()))
    return 'the Host header is not a loopback address';
  const origin = req.headers.origin;
  if (origin !== undefined && !allowed.has(origin.replace(/^http:\/\//, '').toLowerCase())) {
    return 'the Origin is not this server';
  }
  return null;
}

function isToken(candidate: string, token: string): boolean {
  const given = Buffer.from(candidate);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The request carries `Authorization: Bearer <token>`. */
export function authorized(req: http.IncomingMessage, token: string): boolean {
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
  return m ? isToken(m[1] as string, token) : false;
}

/** A WebSocket handshake with the token in Authorization or as a subprotocol. */
export function authorizedWebSocket(req: http.IncomingMessage, token: string): boolean {
  if (authorized(req, token)) return true;
  const offered = readTerminalProtocols(req.headers['sec-websocket-protocol']).token;
  return offered !== undefined && isToken(offered, token);
}

/**
 * The tool a request names itself with (`X-Warden-Client`), from a closed list; none is `api`.
 * A label only: every local client holds the same token, so this is never authentication.
 */
export function clientLabel(req: http.IncomingMessage): LocalClient {
  const raw = req.headers[CLIENT_HEADER];
  if (raw === undefined) return 'api';
  if (isLocalClient(raw)) return raw;
  const shown = JSON.stringify(String(raw).slice(0, 40));
  throw new WardenError(
    'BadRequest',
    `unknown client ${shown} in the X-Warden-Client header`,
    `name one of ${LOCAL_CLIENTS.join(', ')} (hub and reviewer-hook answers never come from a local client)`,
  );
}
