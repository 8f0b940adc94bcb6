// The first check on every request a listener reads (forward requests, CONNECT, upgrades):
// does the client hold the credential of the sandbox its connection belongs to? Anyone else
// on the machine can reach a loopback port; without the credential the request gets a 407,
// is never forwarded, and is audited (without what was presented).

import type http from 'node:http';
import type { RequestFacts } from '../api/index.ts';
import type { BlockInfo } from './block.ts';
import type { ConnectionOwner, ProxyServices } from './context.ts';
import { ExchangeRecord } from './record.ts';

/**
 * Undefined when the request carries the owner's credential; otherwise the 407 to answer,
 * after the refusal was recorded. `facts` is what could be read of the request line.
 */
export function refuseUnauthenticated(
  svc: ProxyServices,
  owner: ConnectionOwner,
  req: http.IncomingMessage,
  facts: RequestFacts,
): BlockInfo | undefined {
  const { sandbox } = owner;
  const presented = req.headers['proxy-authorization'];
  // The same connection sending the header it was accepted with (kept-alive clients do on
  // every request). Only a connection that passed the constant-time check has an entry.
  const accepted = owner.authenticated.get(req.socket);
  if (accepted !== undefined && presented === accepted) return undefined;
  const result = sandbox.proxyCredential.check(presented);
  if (result === 'ok') {
    if (typeof presented === 'string') owner.authenticated.set(req.socket, presented);
    return undefined;
  }
  const reason =
    result === 'missing'
      ? 'this proxy listener serves only the sandbox or process it was made for, and the request carried no proxy credential (Proxy-Authorization)'
      : "this proxy listener serves only the sandbox or process it was made for, and the request's proxy credential is not its own";
  const record = new ExchangeRecord(sandbox, svc.emit, facts, 'forward');
  record.status = 407;
  record.finish({ outcome: 'denied', rule: null, reason, decidedBy: 'proxy' });
  return {
    status: 407,
    verdict: 'unauthenticated',
    reason,
    identity: sandbox.identity,
    ...(facts.host ? { facts } : {}),
    howToAllow: [
      'use the proxy URL Warden gave this sandbox or process, credential included:',
      '  http://warden:<credential>@127.0.0.1:<port> (as HTTP_PROXY and HTTPS_PROXY)',
      'for a host process: warden proxy -- COMMAND, or eval "$(warden proxy)" in its shell',
    ],
  };
}

/** What can be read of a request line that did not parse, for the audit record. */
export function unparsedFacts(method: string | undefined, scheme: 'http' | 'https'): RequestFacts {
  return { scheme, host: '', port: 0, method: (method ?? 'GET').toUpperCase(), path: '' };
}
