// How a request reached the proxy and who sent it: what the listener knows when it hands a
// request to the decision path, and the context that path carries (one object, not seven
// positional parameters).

import type http from 'node:http';
import type { RequestFacts } from '../api/index.ts';
import type { ConnectionOwner, ProxyServices, SandboxContext } from './context.ts';
import type { Aborter } from './lazy-abort.ts';
import type { Target } from './target.ts';

/**
 * `forward`: an absolute-URL request to the proxy itself; `tunnel-http`: a request inside a
 * CONNECT tunnel that spoke plain HTTP; `tunnel-tls`: a request inside a tunnel whose TLS
 * the proxy terminated with its own CA.
 */
export type Via = 'forward' | 'tunnel-http' | 'tunnel-tls';

/** A request as the listener hands it over. */
export interface Arrival {
  owner: ConnectionOwner;
  req: http.IncomingMessage;
  target: Target;
  via: Via;
}

/** One exchange on its way through the decision path. */
export interface ExchangeContext extends Arrival {
  svc: ProxyServices;
  sandbox: SandboxContext;
  facts: RequestFacts;
  /** Aborted when the client goes away (its signal is made when something waits on it). */
  aborter: Aborter;
}

/** The `intercepted` field of the audit record: undefined for forward requests. */
export function interceptedOf(via: Via | 'connect'): boolean | undefined {
  if (via === 'forward') return undefined;
  return via === 'tunnel-tls';
}
