// A tarball asked for without its packument (a lockfile install): the proxy reads the
// packument from the same registry itself, bounded in size and time, to judge the version.

import { packumentPath, readAnswer, type VersionInfo, versionInfo } from '../packages/index.ts';
import { upstreamScheme } from './admit.ts';
import type { Arrival } from './arrival.ts';
import type { ResolvedAddress } from './resolver.ts';
import type { UpstreamTlsOptions } from './upstream.ts';

/** What reading a packument needs of the tarball's exchange. */
export interface PackumentSource {
  arrival: Arrival;
  address: ResolvedAddress;
  headers: Record<string, string | string[]>;
  signal: AbortSignal;
  /** The policy's TLS for this upstream (spec.network.upstreams), when it names one. */
  tls?: UpstreamTlsOptions;
}

/** How long reading a packument for a tarball may take. */
export const PACKUMENT_FETCH_MS = 30_000;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function fetchPackumentEntry(
  x: PackumentSource,
  name: string,
  version: string,
): Promise<{ info: VersionInfo } | { error: string }> {
  const { arrival } = x;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(x.headers)) {
    if (['range', 'if-range', 'if-none-match', 'if-modified-since', 'accept', 'accept-encoding'].includes(k))
      continue;
    headers[k] = v;
  }
  headers.accept = 'application/json';
  headers['accept-encoding'] = 'identity';
  const what = `the packument of ${name}, read to judge the tarball of ${version}`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: { info: VersionInfo } | { error: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    const upstream = arrival.owner.upstream.request({
      scheme: upstreamScheme(arrival.target),
      host: arrival.target.host,
      port: arrival.target.port,
      address: x.address,
      method: 'GET',
      path: packumentPath(name),
      headers,
      ...(x.tls ? { tls: x.tls } : {}),
    });
    const timer = setTimeout(() => {
      upstream.destroy();
      finish({ error: `${what}, took longer than ${PACKUMENT_FETCH_MS / 1000} s` });
    }, PACKUMENT_FETCH_MS);
    timer.unref();
    x.signal.addEventListener('abort', () => upstream.destroy(), { once: true });
    upstream.on('error', (e: NodeJS.ErrnoException) =>
      finish({ error: `${what}, failed: ${e.code ?? e.message}` }),
    );
    upstream.on('response', async (up) => {
      if (up.statusCode !== 200) {
        up.resume();
        return finish({ error: `${what}, was answered ${up.statusCode}` });
      }
      const read = await readAnswer(up);
      if (!read.ok) return finish({ error: `${what}: ${read.reason}` });
      let doc: unknown;
      try {
        doc = JSON.parse(read.body.toString('utf8'));
      } catch {
        return finish({ error: `${what}, is not JSON` });
      }
      if (!isObject(doc) || doc.name !== name || !isObject(doc.versions)) {
        return finish({ error: `${what}, is not a packument of ${name}` });
      }
      const entry = doc.versions[version];
      const time = isObject(doc.time) ? doc.time[version] : undefined;
      const info = isObject(entry) && entry.version === version ? versionInfo(entry, time) : null;
      if (!info) return finish({ error: `${what}, does not list version ${version}` });
      finish({ info });
    });
    upstream.end();
  });
}
