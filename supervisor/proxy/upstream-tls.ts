// TLS for an upstream the policy names (`spec.network.upstreams`: a cluster's API server):
// its own CA alone is trusted, and a tls-client secret's certificate is presented, so the
// agent never holds the cluster's credential. Plain HTTP and other hosts are untouched.

import type { RequestFacts } from '../api/index.ts';
import type { ProxyServices, SandboxContext } from './context.ts';
import type { UpstreamTlsOptions } from './upstream.ts';

export type NamedUpstream = { tls?: UpstreamTlsOptions } | { error: string };

/** The TLS options of a request to a named upstream, or why the proxy cannot reach it. */
export function namedUpstreamTls(
  svc: ProxyServices,
  sandbox: SandboxContext,
  facts: RequestFacts,
): NamedUpstream {
  if (facts.scheme !== 'https' && facts.scheme !== 'wss') return {};
  const entry = sandbox.policy().upstreamFor(facts.host, facts.port);
  if (!entry) return {};
  if (!entry.clientCertificate) return { tls: { ca: entry.ca } };
  const cert = svc.secrets.clientCertificate(entry.clientCertificate, facts.host, sandbox.secrets());
  if ('error' in cert)
    return {
      error: `the policy's upstream ${entry.match} (${entry.source}) presents a client certificate that cannot be used: ${cert.error}`,
    };
  return { tls: { ca: entry.ca, clientCertificate: cert } };
}

/** Why the TLS of a named upstream could not be set up (a certificate or key that does not load). */
export function unloadable(facts: RequestFacts, error: unknown): string {
  return `the CA or client certificate the policy names for ${facts.host}:${facts.port} cannot be loaded (${(error as Error).message}); check the policy's upstreams entry and its tls-client secret`;
}
