// "Read-only for agents" clusters: before the terminals' listener is made, each one's
// kubeconfig is read (kube-access.ts), its credential goes into the daemon's vault (a token
// as a bearer secret, a client certificate as a tls-client secret, bound to the API server's
// host) and the preset from the contract (kubeReadOnlyPolicy) becomes the listener's preset
// layer. Once the listener exists, main writes a kubeconfig of its own per cluster (0600, in
// its own folder): same server and context, Warden's CA, the listener as proxy-url, and the
// token replaced by its placeholder; governed terminals of that cluster get it as KUBECONFIG.

import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import {
  KUBE_READ_ONLY_SOURCE,
  kubeReadOnlyPolicy,
  type ReadOnlyCluster,
  readOnlyReason,
} from '../../../supervisor/api/kube-read-only.ts';
import type { ApiClient } from '../../../supervisor/client/api-client.ts';
import type { CatalogCluster, ReadOnlyView } from '../common/ipc.ts';
import { type KubeAccess, readKubeAccess } from './kube-access.ts';

const LOOKUP_MS = 3000;
const REFUSED_KUBECONFIG =
  '# Written by the Warden extension: a read-only cluster whose credential Warden cannot hold.\n' +
  '# kubectl reaches no cluster from this terminal; see WARDEN_TERMINAL.\n' +
  'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n';

interface Entry {
  name: string;
  context?: string;
  access?: KubeAccess;
  secret?: string;
  problem?: string;
  /** The derived kubeconfig, once written. */
  file?: string;
}

export interface PreparedReadOnly {
  preset?: { yaml: string; source: string };
  secrets: string[];
}

/** A secret name for a cluster: readable, unique, within the vault's rules. */
export function secretNameFor(cluster: string): string {
  const slug = cluster.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
  const hash = createHash('sha256').update(cluster).digest('hex').slice(0, 8);
  return `lens-kube-${slug}-${hash}`;
}

async function addressesOf(host: string): Promise<string[]> {
  if (net.isIP(host)) return [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), LOOKUP_MS);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true }), timeout]);
    return [...new Set(found.map((a) => a.address))];
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
}

export class ReadOnlyClusters {
  readonly #dir: string;
  readonly #log: (level: 'info' | 'warn', line: string) => void;
  #entries: Entry[] = [];

  constructor(o: { folder: string; log(level: 'info' | 'warn', line: string): void }) {
    this.#dir = path.join(o.folder, 'kubeconfigs');
    this.#log = o.log;
  }

  #refused(): string {
    return path.join(this.#dir, 'refused.yaml');
  }

  view(): ReadOnlyView[] {
    return this.#entries.map((e) => ({
      cluster: e.name,
      state: e.problem ? 'refused' : e.file ? 'ready' : 'pending',
      ...(e.problem ? { problem: e.problem } : {}),
    }));
  }

  /** Read each cluster's kubeconfig and store its credential in the daemon's vault. */
  async prepare(
    client: ApiClient,
    names: readonly string[],
    catalog: readonly CatalogCluster[],
  ): Promise<PreparedReadOnly> {
    const entries: Entry[] = [];
    const clusters: ReadOnlyCluster[] = [];
    for (const name of names) {
      const found = catalog.find((c) => c.name === name);
      if (!found) {
        entries.push({ name, problem: 'it is not in the catalog (connect it in Lens first)' });
        continue;
      }
      const read = await readKubeAccess(found.kubeconfigPath, found.kubeconfigContext);
      if (!read.ok) {
        entries.push({ name, problem: read.problem });
        if (read.host && read.port)
          clusters.push({ name, host: read.host, port: read.port, refused: read.problem });
        continue;
      }
      const { access } = read;
      const entry: Entry = { name, context: found.kubeconfigContext, access };
      try {
        entry.secret = await this.#storeCredential(client, name, access);
      } catch (error) {
        entry.problem = `the daemon did not take its credential (${(error as Error).message})`;
        clusters.push({ name, host: access.host, port: access.port, refused: entry.problem });
        entries.push(entry);
        continue;
      }
      const addresses = await addressesOf(access.host);
      clusters.push({
        name,
        host: access.host,
        port: access.port,
        ca: access.ca,
        ...(addresses.length > 0 ? { addresses } : {}),
        ...(access.credential.kind === 'client-certificate' && entry.secret
          ? { clientCertificate: entry.secret }
          : {}),
      });
      entries.push(entry);
    }
    this.#entries = entries;
    for (const e of entries)
      if (e.problem) this.#log('warn', `cluster ${e.name} is read-only for agents, and ${e.problem}`);
    const secrets = entries.flatMap((e) => (e.secret ? [e.secret] : []));
    if (clusters.length === 0) return { secrets };
    const yaml = JSON.stringify(kubeReadOnlyPolicy(clusters), null, 2);
    return { preset: { yaml, source: KUBE_READ_ONLY_SOURCE }, secrets };
  }

  async #storeCredential(client: ApiClient, name: string, access: KubeAccess): Promise<string | undefined> {
    const c = access.credential;
    if (c.kind === 'none') return undefined;
    const secret = secretNameFor(name);
    const body =
      c.kind === 'token'
        ? { value: c.token, hosts: [access.host], inject: 'bearer' as const }
        : {
            value: Buffer.from(`${c.cert.trim()}\n${c.key.trim()}\n`).toString('base64'),
            hosts: [access.host],
            inject: 'tls-client' as const,
          };
    await client.call('PUT /v1/secrets/:name', { params: { name: secret }, body });
    return secret;
  }

  /** Write each ready cluster's kubeconfig for the listener whose environment is `env`. */
  async written(env: Record<string, string>, placeholders: Record<string, string>): Promise<void> {
    if (this.#entries.length === 0) return;
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await chmod(this.#dir, 0o700);
    // Refused clusters' terminals point here: a kubeconfig with no cluster and no credential.
    await writeFile(this.#refused(), REFUSED_KUBECONFIG, { mode: 0o600 });
    const ready = this.#entries.filter((e) => e.access && !e.problem);
    if (ready.length === 0) return;
    let wardenCa: string;
    try {
      wardenCa = await readFile(env.NODE_EXTRA_CA_CERTS ?? '', 'utf8');
    } catch (error) {
      for (const e of ready) e.problem = `Warden's CA cannot be read (${(error as Error).message})`;
      return;
    }
    for (const e of ready) {
      const access = e.access as KubeAccess;
      const file = path.join(this.#dir, `${secretNameFor(e.name)}.yaml`);
      const user: Record<string, string> = {};
      // A token's placeholder is swapped for it; a client certificate's placeholder is only
      // there so kubectl has a credential and does not prompt for a password: the proxy
      // drops it and presents the certificate.
      if (e.secret) {
        const placeholder = placeholders[e.secret];
        if (!placeholder) {
          e.problem = 'the listener holds no placeholder for its credential';
          continue;
        }
        user.token = placeholder;
      }
      const doc = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: access.clusterName,
            cluster: {
              server: access.server,
              'certificate-authority-data': Buffer.from(wardenCa).toString('base64'),
              'proxy-url': env.HTTPS_PROXY,
            },
          },
        ],
        users: [{ name: 'warden', user }],
        contexts: [
          {
            name: e.context,
            context: {
              cluster: access.clusterName,
              user: 'warden',
              ...(access.namespace ? { namespace: access.namespace } : {}),
            },
          },
        ],
        'current-context': e.context,
      };
      const text = `# Written by the Warden extension: cluster ${e.name} is read-only for agents.\n${stringify(doc)}`;
      await writeFile(`${file}.tmp`, text, { mode: 0o600 });
      await rename(`${file}.tmp`, file);
      e.file = file;
    }
  }

  /** What a governed terminal of `cluster` adds to its environment, when it is read-only. */
  envFor(cluster: { name?: unknown; uid?: unknown } | undefined): Record<string, string> | undefined {
    const e = this.#entries.find((x) => x.name === cluster?.name || x.name === cluster?.uid);
    if (!e) return undefined;
    if (e.file && !e.problem)
      return {
        KUBECONFIG: e.file,
        WARDEN_TERMINAL: `governed; ${readOnlyReason({ name: e.name, host: '', port: 0 })}`,
      };
    return {
      // No kubeconfig at all: kubectl finds no cluster rather than the user's credential.
      KUBECONFIG: this.#refused(),
      WARDEN_TERMINAL: `governed; cluster ${e.name} is read-only for agents, but ${e.problem ?? 'its kubeconfig is not ready'}: kubectl here reaches no cluster`,
    };
  }

  /** Remove the credentials from the vault and the derived kubeconfigs. */
  async clear(client: ApiClient | undefined): Promise<void> {
    const entries = this.#entries;
    this.#entries = [];
    for (const e of entries) {
      if (e.file) await rm(e.file, { force: true });
      if (e.secret && client)
        await client
          .call('DELETE /v1/secrets/:name', { params: { name: e.secret } })
          .catch((error: Error) =>
            this.#log('warn', `could not remove the secret ${e.secret}: ${error.message}`),
          );
    }
  }
}
