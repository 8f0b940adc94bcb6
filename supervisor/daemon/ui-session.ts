// Browser mode's session hand-over: the page POSTs the one-time code from its URL to
// UI_SESSION_PATH and gets the bearer token. Served before the token check, on the loopback
// TCP listener only and after its Host/Origin checks (ApiServer's `fallback`), so a web page
// of another origin or a DNS-rebound name cannot reach it. On Linux a code offered by another
// local user (who could read it in the browser opener's argv) is refused and burnt.

import type http from 'node:http';
import type { ErrorEnvelope, UiSessionRequest, UiSessionResponse } from '../api/messages.ts';
import { UI_SESSION_PATH } from '../api/routes.ts';
import { loopbackPeerUid } from './peer-uid.ts';
import type { OneTimeCodes } from './ui-codes.ts';

const MAX_BODY = 1024;

export interface UiSessionOptions {
  codes: OneTimeCodes;
  token: string;
  /** The uid of the connecting process, where the OS tells (default: /proc/net/tcp). */
  peerUid?: (req: http.IncomingMessage) => number | undefined;
  /** This process's uid (default process.getuid; undefined on Windows). */
  ownUid?: number;
  warn?: (message: string) => void;
}

function send(res: http.ServerResponse, status: number, body: UiSessionResponse | ErrorEnvelope): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function refuse(res: http.ServerResponse, status: number, name: string, message: string): void {
  send(res, status, {
    error: { name, message, hint: 'run `warden ui` again and open the new URL it prints' },
  });
}

async function readCode(req: http.IncomingMessage): Promise<string | null> {
  let text = '';
  for await (const chunk of req) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_BODY) return null;
  }
  try {
    const body = JSON.parse(text) as Partial<UiSessionRequest> | null;
    return typeof body?.code === 'string' ? body.code : null;
  } catch {
    return null;
  }
}

/** An ApiServer `fallback` answering POST UI_SESSION_PATH; declines every other request. */
export function uiSession(
  opts: UiSessionOptions,
): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  const peerUid = opts.peerUid ?? ((req: http.IncomingMessage) => loopbackPeerUid(req.socket));
  const ownUid = opts.ownUid ?? process.getuid?.();
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://warden.local');
    if (url.pathname !== UI_SESSION_PATH) return false;
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      refuse(res, 405, 'MethodNotAllowed', `${UI_SESSION_PATH} takes POST with {"code": "…"}`);
      return true;
    }
    void readCode(req).then(
      (code) => {
        if (code === null) return refuse(res, 400, 'BadRequest', 'the body must be JSON {"code": "…"}');
        const uid = peerUid(req);
        if (uid !== undefined && ownUid !== undefined && uid !== ownUid) {
          // Another user read the code (ps) and raced the browser: burn it, say so.
          opts.codes.redeem(code);
          opts.warn?.(`browser mode: a one-time code was offered by uid ${uid}, not by this user; refused`);
          return refuse(res, 403, 'Forbidden', 'this code was offered by another user of this machine');
        }
        if (!opts.codes.redeem(code)) {
          return refuse(
            res,
            401,
            'CodeUsedOrExpired',
            'this link was already used or expired (a `warden ui` link works once, within a minute)',
          );
        }
        send(res, 200, { token: opts.token });
      },
      () => res.destroy(),
    );
    return true;
  };
}
