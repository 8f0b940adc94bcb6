// A policy's upstream servers (`spec.network.upstreams`): the one CA that is trusted for a
// host:port instead of the system store, and the client certificate the proxy presents
// there. Matched exactly (a name or an address and one port); the most specific layer wins.

import type { UpstreamSpec } from '../api/policy-schema.ts';
import type { LayerName } from '../api/policy-types.ts';
import { normalizeHost } from './host-name.ts';
import { parseMatch } from './match-spec.ts';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** An upstream entry as the proxy uses it. */
export interface ResolvedUpstream extends UpstreamSpec {
  host: string;
  port: number;
  layer: LayerName;
  source: string;
}

/** `host:port` of an upstream's match, or why it is not one. */
export function parseUpstreamMatch(match: string): { host: string; port: number } | { error: string } {
  const parsed = parseMatch(match);
  if ('error' in parsed) return parsed;
  if (parsed.scheme) return { error: 'an upstream is host:port, without a scheme' };
  if (parsed.host.kind !== 'exact' && parsed.host.kind !== 'address')
    return { error: 'an upstream names one host or address, not a pattern or a range' };
  if (!parsed.port || parsed.port.from !== parsed.port.to)
    return { error: 'an upstream names its port (host:6443), one port only' };
  return { host: parsed.hostText, port: parsed.port.from };
}

/** Problems of one upstream entry that the schema cannot see, by field. */
export function upstreamProblems(entry: Record<string, unknown>): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (typeof entry.match === 'string' && entry.match.length > 0) {
    const parsed = parseUpstreamMatch(entry.match);
    if ('error' in parsed) out.push({ field: 'match', message: `${parsed.error} (like 10.0.0.1:6443)` });
  }
  if (typeof entry.ca === 'string' && entry.ca.length > 0 && !PEM_CERT.test(entry.ca))
    out.push({ field: 'ca', message: 'ca holds no PEM certificate (-----BEGIN CERTIFICATE-----)' });
  return out;
}

/** The entry for `host`:`port` among entries listed most specific layer first, or undefined. */
export function findUpstream(
  entries: readonly ResolvedUpstream[],
  host: string,
  port: number,
): ResolvedUpstream | undefined {
  let normalized: string;
  try {
    normalized = normalizeHost(host);
  } catch {
    return undefined;
  }
  return entries.find((e) => e.port === port && e.host === normalized);
}

/** Every layer's upstream entries that parse, most specific layer first. */
export function collectUpstreams(
  layers: ReadonlyArray<{
    layer: LayerName;
    source: string;
    document: { spec: { network?: { upstreams?: UpstreamSpec[] } } };
  }>,
): ResolvedUpstream[] {
  const out: ResolvedUpstream[] = [];
  for (const l of layers) {
    for (const spec of l.document.spec.network?.upstreams ?? []) {
      const parsed = parseUpstreamMatch(spec.match);
      if ('error' in parsed) continue;
      out.push({ ...spec, ...parsed, layer: l.layer, source: l.source });
    }
  }
  return out;
}
