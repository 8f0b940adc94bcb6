// The "read-only for agents" preset of Kubernetes clusters, written once: for each cluster's
// API server, reading (GET, HEAD, OPTIONS over HTTPS) is allowed and everything else is
// denied with a reason naming the cluster: writes, deletes, `create --dry-run=server`, and
// exec, attach and port-forward (their WebSocket upgrades are decided under wss://, their
// SPDY upgrades are POSTs). The proxy reaches the server with the cluster's own CA and, for a
// client certificate, presents it itself (spec.network.upstreams). A cluster whose credential
// Warden cannot hold (an exec plugin, an auth provider) is denied outright.

// Types only: the extension bundles this file, and the schema library stays out of it.
import type { PolicyDocument, RuleSpec, UpstreamSpec } from './policy-schema.ts';

export interface ReadOnlyCluster {
  /** The cluster's name in the user's catalog (prod-eu). */
  name: string;
  /** Its API server's host (a name or an address) and port, from its kubeconfig. */
  host: string;
  port: number;
  /**
   * The addresses a server name resolved to: a private or loopback address is reached only
   * when a rule names it, so reading is allowed there too (an address server needs none).
   */
  addresses?: string[];
  /** PEM of the cluster's CA; absent when the credential is refused (everything is denied). */
  ca?: string;
  /** A tls-client secret the proxy presents to the server. */
  clientCertificate?: string;
  /** Why Warden cannot hold this cluster's credential, if it cannot. */
  refused?: string;
}

/** The preset's source name, shown in every decision it makes. */
export const KUBE_READ_ONLY_SOURCE = 'preset kube-read-only';
export const KUBE_READ_METHODS = ['GET', 'HEAD', 'OPTIONS'] as const;

/** The sentence every denial of the preset starts with. */
export function readOnlyReason(cluster: ReadOnlyCluster): string {
  const base = `cluster ${cluster.name} is read-only for agents`;
  return cluster.refused
    ? `${base}, and Warden cannot hold its credential (${cluster.refused}): every request to it is denied`
    : `${base}: only get, list, watch and logs (GET, HEAD, OPTIONS) reach it; writes, deletes, exec, attach and port-forward are denied`;
}

/** `host:port`, with brackets around an IPv6 address. */
export function authorityOf(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The policy document of the preset for these clusters. */
export function kubeReadOnlyPolicy(clusters: readonly ReadOnlyCluster[]): PolicyDocument {
  const rules: RuleSpec[] = [];
  const upstreams: UpstreamSpec[] = [];
  for (const c of clusters) {
    const at = authorityOf(c.host, c.port);
    if (!c.refused && c.ca) {
      rules.push({
        match: `https://${at}`,
        methods: [...KUBE_READ_METHODS],
        action: 'allow',
        tls: 'inspect',
        description: `cluster ${c.name}: reading is allowed`,
      });
      for (const address of c.addresses ?? [])
        rules.push({
          match: `https://${authorityOf(address, c.port)}`,
          methods: [...KUBE_READ_METHODS],
          action: 'allow',
          tls: 'inspect',
          description: `cluster ${c.name}: reading is allowed at its address`,
        });
      upstreams.push({
        match: at,
        ca: c.ca,
        ...(c.clientCertificate ? { clientCertificate: c.clientCertificate } : {}),
      });
    }
    rules.push({ match: at, action: 'deny', description: readOnlyReason(c) });
  }
  return {
    apiVersion: 'warden.dev/v1',
    kind: 'Policy',
    metadata: {
      name: 'kube-read-only',
      description: `Kubernetes clusters read-only for agents: ${clusters.map((c) => c.name).join(', ') || 'none'}`,
    },
    spec: { network: { rules, ...(upstreams.length > 0 ? { upstreams } : {}) } },
  };
}
