// A request to a Kubernetes API server in words, for an approval card: "DELETE pods in
// prod-eu", "GET deployments in prod-eu (namespace web)". Paths that are not the API's
// (/healthz, /version) come back as undefined and the card shows the URL alone.

const VERBS: Record<string, string> = {
  GET: 'GET',
  LIST: 'LIST',
  POST: 'CREATE',
  PUT: 'UPDATE',
  PATCH: 'PATCH',
  DELETE: 'DELETE',
};

export interface KubeRequest {
  verb: string;
  resource: string;
  namespace?: string;
  name?: string;
}

export function kubeRequest(method: string, path: string): KubeRequest | undefined {
  const parts = path.split('/').filter((p) => p !== '');
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 4) rest = parts.slice(3);
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = decodeURIComponent(rest[1]!);
    rest = rest.slice(2);
  }
  const resource = rest[0];
  if (!resource) return undefined;
  const verb = VERBS[method.toUpperCase()] ?? method.toUpperCase();
  const name = rest[1] ? decodeURIComponent(rest[1]) : undefined;
  return {
    verb: verb === 'GET' && !name ? 'LIST' : verb,
    resource: rest[2] ? `${resource}/${rest[2]}` : resource,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
  };
}

/** "DELETE pods in prod-eu", or "reach prod-eu" when the path is not the API's. */
export function clusterSentence(method: string, path: string, cluster: string): string {
  const k = kubeRequest(method, path);
  if (!k) return `${method} ${path} on ${cluster}`;
  return `${k.verb} ${k.resource}${k.name ? ` ${k.name}` : ''} in ${cluster}${k.namespace ? ` (namespace ${k.namespace})` : ''}`;
}
