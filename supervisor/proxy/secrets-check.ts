// Secret placeholders in a request: swapped for values on the secret's bound hosts (over
// intercepted TLS), and anywhere else a reason to block the request and report it.

import type http from 'node:http';
import type { RequestFacts } from '../api/index.ts';
import type { ProxyServices, SandboxContext } from './context.ts';
import { proxyVerdict, type Refused } from './decide.ts';

export interface Violation {
  secret: string;
  where: string;
}

/** Emit `secret.exfiltration_blocked` for each violation and build the 403 verdict. */
export function exfiltrationVerdict(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  violations: Violation[],
): Refused {
  const time = new Date().toISOString();
  const { sandboxId, user } = sandbox.identity;
  for (const v of violations) {
    svc.emit({
      type: 'secret.exfiltration_blocked',
      time,
      sandboxId,
      user,
      secret: v.secret,
      host: facts.host,
      where: v.where,
      method: facts.method,
      path: facts.path,
    });
  }
  const first = violations[0]!;
  const reason =
    first.where === 'plain-http'
      ? `the request carries the placeholder of secret ${first.secret} over plain HTTP; secrets are only injected into HTTPS requests`
      : first.where === 'body'
        ? `the request body carries the placeholder of secret ${first.secret}, which is not bound to ${facts.host}; placeholders are never sent to other hosts`
        : `the request carries the placeholder of secret ${first.secret} (in ${first.where}), which is not bound to ${facts.host}; placeholders are never sent to other hosts`;
  return proxyVerdict(sandbox, facts, { status: 403, verdict: 'exfiltration', outcome: 'denied' }, reason);
}

/** Check a request's headers and URL for placeholders and inject the bound secrets. */
export function checkSecrets(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
  headers: http.IncomingHttpHeaders,
  url: string,
  intercepted: boolean,
): { headers: http.IncomingHttpHeaders; url: string; verdict?: Refused } {
  const { sandboxId, user } = sandbox.identity;
  const result = svc.secrets.apply(
    { sandboxId, host: facts.host, intercepted, headers, url },
    sandbox.secrets(),
  );
  if (result.violations.length > 0) {
    return { headers, url, verdict: exfiltrationVerdict(svc, sandbox, facts, result.violations) };
  }
  if (result.injected.length === 0)
    return { headers: result.headers as http.IncomingHttpHeaders, url: result.url };
  const time = new Date().toISOString();
  for (const secret of result.injected) {
    svc.emit({ type: 'secret.injected', time, sandboxId, user, secret, host: facts.host });
  }
  return { headers: result.headers as http.IncomingHttpHeaders, url: result.url };
}
