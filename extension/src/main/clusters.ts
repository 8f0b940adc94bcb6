// Cluster-aware approvals: the renderer reads the host's catalog (KubernetesCluster entities:
// name, kubeconfig file, context) and main finds each one's API server in that kubeconfig,
// so a held request to it can name the cluster. Only the server's host and port leave this
// file; nothing else of a kubeconfig (users, tokens, certificates) is read into the result.
// What the renderer sends is bounded: absolute paths, small files, a few hundred clusters.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type { CatalogCluster, ClusterRef } from '../common/ipc.ts';

export const MAX_CLUSTERS = 200;
const MAX_KUBECONFIG_BYTES = 1_000_000;
const MAX_TEXT = 1000;

export function catalogClustersProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length > MAX_CLUSTERS)
    return `clusters are a list of at most ${MAX_CLUSTERS}`;
  for (const c of value) {
    if (typeof c !== 'object' || c === null)
      return 'a cluster is { name, kubeconfigPath, kubeconfigContext }';
    const { name, kubeconfigPath, kubeconfigContext } = c as Record<string, unknown>;
    for (const v of [name, kubeconfigPath, kubeconfigContext])
      if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT || v.includes('\0'))
        return `a cluster's name, kubeconfig path and context are strings of 1 to ${MAX_TEXT} characters`;
    if (!path.isAbsolute(kubeconfigPath as string)) return "a cluster's kubeconfig path is absolute";
  }
  return undefined;
}

interface Kubeconfig {
  contexts?: Array<{ name?: unknown; context?: { cluster?: unknown } }>;
  clusters?: Array<{ name?: unknown; cluster?: { server?: unknown } }>;
}

/** The API server's host and port for `context` in the kubeconfig text, or undefined. */
export function serverOf(text: string, context: string): { host: string; port: number } | undefined {
  let doc: Kubeconfig;
  try {
    doc = parse(text, { maxAliasCount: 100 }) as Kubeconfig;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const clusterName = doc.contexts?.find((c) => c?.name === context)?.context?.cluster;
  const server = doc.clusters?.find((c) => c?.name === clusterName)?.cluster?.server;
  if (typeof server !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { host, port };
}

/** Each catalog cluster whose API server its kubeconfig names. */
export async function clusterRefs(clusters: CatalogCluster[]): Promise<ClusterRef[]> {
  const texts = new Map<string, Promise<string | undefined>>();
  const read = (file: string) => {
    let p = texts.get(file);
    if (!p) {
      p = (async () => {
        try {
          if ((await stat(file)).size > MAX_KUBECONFIG_BYTES) return undefined;
          return await readFile(file, 'utf8');
        } catch {
          return undefined;
        }
      })();
      texts.set(file, p);
    }
    return p;
  };
  const refs: ClusterRef[] = [];
  for (const c of clusters.slice(0, MAX_CLUSTERS)) {
    const text = await read(c.kubeconfigPath);
    const server = text === undefined ? undefined : serverOf(text, c.kubeconfigContext);
    if (server) refs.push({ name: c.name, ...server });
  }
  return refs;
}
