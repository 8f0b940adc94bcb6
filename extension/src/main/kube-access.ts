// How kubectl reaches one cluster, read from its kubeconfig for "read-only for agents": the
// API server, the cluster's CA (certificate-authority-data or the file it names) and the
// user's credential (a bearer token or a client certificate and key). Credentials Warden
// cannot hold for the agent (exec plugins, auth providers, basic auth, a cluster that skips
// TLS verification) are refused with a sentence the preferences pane and the terminal show.
// The credential read here goes only to the daemon's vault, never to the renderer or a log.

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

const MAX_FILE_BYTES = 1_000_000;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export type KubeCredential =
  | { kind: 'token'; token: string }
  | { kind: 'client-certificate'; cert: string; key: string }
  | { kind: 'none' };

export interface KubeAccess {
  /** The server URL as the kubeconfig gives it. */
  server: string;
  host: string;
  port: number;
  /** The cluster entry's name and the context's namespace (kept in the derived kubeconfig). */
  clusterName: string;
  namespace?: string;
  /** PEM of the cluster's CA. */
  ca: string;
  credential: KubeCredential;
}

export type KubeAccessResult =
  | { ok: true; access: KubeAccess }
  | { ok: false; problem: string; host?: string; port?: number };

interface NamedEntry<T> {
  name?: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Fields = Record<string, unknown>;

async function readSmall(file: string): Promise<string> {
  if ((await stat(file)).size > MAX_FILE_BYTES)
    throw new Error(`${file} is larger than ${MAX_FILE_BYTES} bytes`);
  return readFile(file, 'utf8');
}

/** A `*-data` field (base64) or the file its sibling names (relative to the kubeconfig). */
async function dataOrFile(fields: Fields, name: string, dir: string): Promise<string | undefined> {
  const data = fields[`${name}-data`];
  if (typeof data === 'string' && data.length > 0) return Buffer.from(data, 'base64').toString('utf8');
  const file = fields[name];
  if (typeof file === 'string' && file.length > 0) return readSmall(path.resolve(dir, file));
  return undefined;
}

function entry(list: unknown, name: unknown, key: 'cluster' | 'user' | 'context'): Fields | undefined {
  if (!Array.isArray(list)) return undefined;
  const found = (list as Array<NamedEntry<Fields>>).find((e) => e && e.name === name);
  const value = found?.[key];
  return value && typeof value === 'object' ? value : undefined;
}

/** The server's host and port, or why the URL cannot be used. */
export function serverAddress(
  server: string,
): { host: string; port: number } | { problem: string; host?: string; port?: number } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return { problem: `the server ${server.slice(0, 200)} is not a URL` };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
  // A server that cannot be read through Warden is still known: the preset denies it.
  if (url.protocol !== 'https:') return { problem: `the server ${url.origin} is not HTTPS`, host, port };
  if (url.pathname !== '/' && url.pathname !== '')
    return {
      problem: `the server ${server.slice(0, 200)} has a path, which Warden does not support`,
      host,
      port,
    };
  return { host, port };
}

/** Read `context` of the kubeconfig at `file`. */
export async function readKubeAccess(file: string, context: string): Promise<KubeAccessResult> {
  let doc: Fields;
  try {
    doc = parse(await readSmall(file), { maxAliasCount: 100 }) as Fields;
  } catch (error) {
    return {
      ok: false,
      problem: `its kubeconfig cannot be read (${(error as Error).message.slice(0, 200)})`,
    };
  }
  if (!doc || typeof doc !== 'object') return { ok: false, problem: 'its kubeconfig is empty' };
  const ctx = entry(doc.contexts, context, 'context');
  if (!ctx) return { ok: false, problem: `its kubeconfig has no context ${context}` };
  const cluster = entry(doc.clusters, ctx.cluster, 'cluster');
  if (!cluster || typeof cluster.server !== 'string')
    return { ok: false, problem: `its kubeconfig has no server for the context ${context}` };
  const where = serverAddress(cluster.server);
  if ('problem' in where) return { ok: false, ...where };
  const refuse = (problem: string): KubeAccessResult => ({ ok: false, problem, ...where });
  if (cluster['insecure-skip-tls-verify'] === true)
    return refuse(
      'its kubeconfig skips TLS verification (insecure-skip-tls-verify); Warden verifies the server',
    );
  if (cluster['tls-server-name'] !== undefined)
    return refuse('its kubeconfig sets tls-server-name, which Warden does not support yet');
  if (cluster['proxy-url'] !== undefined)
    return refuse('its kubeconfig sends kubectl through its own proxy (proxy-url)');
  const dir = path.dirname(file);
  let ca: string | undefined;
  try {
    ca = await dataOrFile(cluster, 'certificate-authority', dir);
  } catch (error) {
    return refuse(
      `its certificate-authority cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!ca || !PEM_CERT.test(ca))
    return refuse(
      'its kubeconfig names no certificate-authority(-data) for the server; Warden verifies the server against it',
    );
  const user = entry(doc.users, ctx.user, 'user') ?? {};
  const credential = await readCredential(user, dir);
  if ('problem' in credential) return refuse(credential.problem);
  return {
    ok: true,
    access: {
      server: cluster.server,
      ...where,
      clusterName: String(ctx.cluster),
      ...(typeof ctx.namespace === 'string' ? { namespace: ctx.namespace } : {}),
      ca,
      credential,
    },
  };
}

async function readCredential(user: Fields, dir: string): Promise<KubeCredential | { problem: string }> {
  if (user.exec !== undefined) {
    const command = (user.exec as { command?: unknown })?.command;
    return {
      problem: `its credential comes from an exec plugin (${typeof command === 'string' ? path.basename(command) : 'a command'}), which would run in the agent's terminal and hand it the credential`,
    };
  }
  if (user['auth-provider'] !== undefined)
    return { problem: 'its credential comes from an auth provider, which Warden cannot hold for the agent' };
  if (user.username !== undefined || user.password !== undefined)
    return { problem: 'it uses basic authentication, which Warden does not hold for agents' };
  if (user.as !== undefined || user['as-groups'] !== undefined)
    return { problem: 'its user impersonates another (as), which Warden does not support' };
  try {
    if (typeof user.token === 'string' && user.token.length > 0) return { kind: 'token', token: user.token };
    if (typeof user.tokenFile === 'string' && user.tokenFile.length > 0) {
      const token = (await readSmall(path.resolve(dir, user.tokenFile))).trim();
      if (token.length > 0) return { kind: 'token', token };
    }
    const cert = await dataOrFile(user, 'client-certificate', dir);
    const key = await dataOrFile(user, 'client-key', dir);
    if (cert && key) return { kind: 'client-certificate', cert, key };
    if (cert || key) return { problem: 'its user has a client certificate or key without the other' };
  } catch (error) {
    return {
      problem: `its credential file cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    };
  }
  return { kind: 'none' };
}
