// A stand-in Kubernetes API server for tests with the real kubectl: HTTPS with its own CA
// (made by openssl), requiring a client certificate (signed by a client CA) or a bearer
// token, answering the discovery endpoints (/version, /api, /apis, /api/v1) and the pods of
// `default` with the published JSON shapes (a meta.k8s.io Table when kubectl asks for one),
// so `kubectl get pods` works. Every request it sees is kept, with its credential.

import { execFile, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';

export interface KubeSeen {
  method: string;
  url: string;
  authorization?: string;
  /** The CN of the client certificate presented, if one was. */
  clientCn?: string;
}

export interface KubeApiServer {
  port: number;
  /** PEM of the CA that signed the server's certificate. */
  caPem: string;
  /** A client certificate and key the server accepts (CN kube-admin). */
  clientCertPem: string;
  clientKeyPem: string;
  token: string;
  seen: KubeSeen[];
  /** Write a kubeconfig for this server (context `name`) with the given user fields. */
  kubeconfig(file: string, name: string, user: Record<string, unknown>, ca?: string): Promise<void>;
  close(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
}

/** A CA, and a leaf it signs (`ext`: the leaf's extensions, e.g. its subjectAltName). */
function makePair(dir: string, prefix: string, cn: string, ext: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    `/CN=${prefix} test CA`,
    '-keyout',
    `${prefix}-ca.key`,
    '-out',
    `${prefix}-ca.crt`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(dir, ['req', ...ec, '-subj', `/CN=${cn}`, '-keyout', `${prefix}.key`, '-out', `${prefix}.csr`]);
  writeFileSync(path.join(dir, `${prefix}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${prefix}.csr`,
    '-CA',
    `${prefix}-ca.crt`,
    '-CAkey',
    `${prefix}-ca.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${prefix}.ext`,
    '-out',
    `${prefix}.crt`,
  ]);
}

const ALL = { apiVersion: 'v1' };

function podList(pods: string[]) {
  return {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '1' },
    items: pods.map((name) => ({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-12-01T00:00:00Z' },
      spec: { containers: [{ name: 'main', image: 'busybox' }] },
      status: { phase: 'Running' },
    })),
  };
}

function podTable(pods: string[]) {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '1' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
      { name: 'Status', type: 'string', format: '', description: 'Status', priority: 0 },
    ],
    rows: pods.map((name) => ({
      cells: [name, 'Running'],
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: {
          name,
          namespace: 'default',
          uid: `uid-${name}`,
          creationTimestamp: '2026-12-01T00:00:00Z',
        },
      },
    })),
  };
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

const API_RESOURCES = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    {
      name: 'pods',
      singularName: 'pod',
      namespaced: true,
      kind: 'Pod',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
    },
    { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
    {
      name: 'pods/exec',
      singularName: '',
      namespaced: true,
      kind: 'PodExecOptions',
      verbs: ['create', 'get'],
    },
  ],
};

export async function startKubeApiServer(opts: {
  auth: 'client-certificate' | 'token';
}): Promise<KubeApiServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-kube-'));
  makePair(dir, 'server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makePair(dir, 'client', 'kube-admin', 'extendedKeyUsage=clientAuth\n');
  const read = (f: string) => readFile(path.join(dir, f), 'utf8');
  const caPem = await read('server-ca.crt');
  const clientCaPem = await read('client-ca.crt');
  const token = `kube-token-${Math.random().toString(36).slice(2)}-real`;
  const seen: KubeSeen[] = [];
  const pods = ['web-1', 'web-2'];
  const server = https.createServer(
    {
      cert: await read('server.crt'),
      key: await read('server.key'),
      ca: clientCaPem,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.authorized ? socket.getPeerCertificate() : undefined;
      const entry: KubeSeen = { method: req.method ?? '', url: req.url ?? '' };
      if (req.headers.authorization) entry.authorization = req.headers.authorization;
      if (peer?.subject?.CN) entry.clientCn = String(peer.subject.CN);
      seen.push(entry);
      const send = (code: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(code, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      req.resume();
      const authenticated =
        opts.auth === 'token'
          ? req.headers.authorization === `Bearer ${token}`
          : entry.clientCn === 'kube-admin';
      if (!authenticated) return send(401, status(401, 'Unauthorized', 'Unauthorized'));
      const url = new URL(req.url ?? '/', 'https://kube.test');
      const p = url.pathname;
      if (req.method === 'GET' && p === '/version')
        return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' });
      if (req.method === 'GET' && p === '/api')
        return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (req.method === 'GET' && p === '/apis')
        return send(200, { kind: 'APIGroupList', ...ALL, groups: [] });
      if (req.method === 'GET' && p === '/api/v1') return send(200, API_RESOURCES);
      if (req.method === 'GET' && p === '/api/v1/namespaces/default/pods' && !url.searchParams.has('watch')) {
        const table = String(req.headers.accept ?? '').includes('as=Table');
        return send(200, table ? podTable(pods) : podList(pods));
      }
      const log = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)\/log$/.exec(p);
      if (log && req.method === 'GET' && pods.includes(log[1]!)) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        return res.end(`log line of ${log[1]}\n`);
      }
      if (req.method === 'GET' && p === '/api/v1/namespaces/default/events')
        return send(200, { kind: 'EventList', apiVersion: 'v1', metadata: {}, items: [] });
      if (
        req.method === 'GET' &&
        p === '/api/v1/namespaces/default/pods' &&
        url.searchParams.get('watch') === 'true'
      ) {
        // One event, then the watch ends (kubectl --watch stops when its server closes it).
        const event = { type: 'ADDED', object: podList(['web-1']).items[0] };
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`${JSON.stringify(event)}\n`);
      }
      const one = /^\/api\/v1\/namespaces\/default\/pods\/([^/]+)$/.exec(p);
      if (one && req.method === 'GET' && pods.includes(one[1]!))
        return send(200, podList([one[1]!]).items[0]);
      if (one && req.method === 'DELETE') {
        const i = pods.indexOf(one[1]!);
        if (i === -1) return send(404, status(404, 'NotFound', `pods "${one[1]}" not found`));
        pods.splice(i, 1);
        return send(200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
      }
      send(
        404,
        status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${p})`),
      );
    },
  );
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    port,
    caPem,
    clientCertPem: await read('client.crt'),
    clientKeyPem: await read('client.key'),
    token,
    seen,
    async kubeconfig(file, name, user, ca = caPem) {
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name,
            cluster: {
              server: `https://127.0.0.1:${port}`,
              'certificate-authority-data': Buffer.from(ca).toString('base64'),
            },
          },
        ],
        users: [{ name: `${name}-user`, user }],
        contexts: [{ name, context: { cluster: name, user: `${name}-user`, namespace: 'default' } }],
        'current-context': name,
      };
      await writeFile(file, JSON.stringify(doc, null, 2), { mode: 0o600 });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Throws, saying how to get it, when there is no kubectl to run. */
export function requireKubectl(): void {
  try {
    execFileSync(process.env.KUBECTL ?? 'kubectl', ['version', '--client'], {
      stdio: 'pipe',
      timeout: 30_000,
    });
  } catch {
    throw new Error("no kubectl on the PATH: bash build/setup.sh --test installs Debian's kubernetes-client");
  }
}

/** Run the real kubectl with exactly `env` (a terminal's environment), bounded in time. */
export function kubectl(env: Record<string, string | undefined>, args: string[]): Promise<KubectlResult> {
  return new Promise((resolve) => {
    execFile(
      process.env.KUBECTL ?? 'kubectl',
      [...args, '--request-timeout=15s'],
      { env: env as NodeJS.ProcessEnv, timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: unknown }).code as number) || 1 : 0, stdout, stderr }),
    );
  });
}
