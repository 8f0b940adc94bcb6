// Where upstream TLS trust comes from: Node's bundled roots, the operating system's CA
// bundle (the Linux paths; SSL_CERT_FILE when set, as OpenSSL does), NODE_EXTRA_CA_CERTS
// and WARDEN_UPSTREAM_CA. A company's inspecting proxy puts its CA in the OS bundle, so
// reading it is what makes registries work there without further setup.
//
// The macOS keychain and the Windows certificate store are not read (Node 20 offers no way
// to): on those systems, export the CA to a PEM file and name it in WARDEN_UPSTREAM_CA.
// An ambient file that is missing or unreadable (the OS bundle, NODE_EXTRA_CA_CERTS) is a
// warning; WARDEN_UPSTREAM_CA is Warden's own setting, so an unreadable one stops the start.

import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import type { TrustStoreView } from '../api/messages.ts';

/** The OS bundles, first found wins (the list Go and curl search). */
export const SYSTEM_CA_BUNDLES: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Alpine, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7
  '/etc/ssl/cert.pem', // Alpine, macOS (the system roots only, not the keychain)
];

export interface TrustInputs {
  /** OS bundle candidates, first found wins (default: $SSL_CERT_FILE, else SYSTEM_CA_BUNDLES). */
  systemBundles?: readonly string[];
  /** NODE_EXTRA_CA_CERTS's value (default: the environment's). */
  nodeExtraCaCerts?: string;
  /** WARDEN_UPSTREAM_CA's value: a PEM file that must be readable. */
  upstreamCaFile?: string;
  /** PEM certificates given directly (the daemon's options). */
  upstreamCa?: string[];
}

export interface LoadedTrust {
  /** Certificates to trust beyond Node's bundled roots, without duplicates. */
  extraCa: string[];
  /** Each store consulted, in order, with its certificate count or its problem. */
  stores: TrustStoreView[];
  /** Problems to log: a missing or unreadable file, one with no certificate. */
  warnings: string[];
}

export class TrustStoreError extends Error {
  override name = 'TrustStoreError';
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text that parse, and how many blocks did not. */
function parsePem(text: string): { certs: X509Certificate[]; bad: number } {
  const certs: X509Certificate[] = [];
  let bad = 0;
  for (const block of text.match(PEM_BLOCK) ?? []) {
    try {
      certs.push(new X509Certificate(block));
    } catch {
      bad++;
    }
  }
  return { certs, bad };
}

function readFile(path: string): { text?: string; problem?: string } {
  try {
    return { text: readFileSync(path, 'latin1') };
  } catch (error) {
    return {
      problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    };
  }
}

/** Reads every store; throws TrustStoreError only for an unreadable WARDEN_UPSTREAM_CA. */
export function loadTrustStores(inputs: TrustInputs = {}, env = process.env): LoadedTrust {
  const seen = new Set<string>();
  const extraCa: string[] = [];
  const stores: TrustStoreView[] = [];
  const warnings: string[] = [];
  /** Adds the certificates not yet trusted; returns how many the source gave. */
  const add = (certs: X509Certificate[], keep: boolean) => {
    for (const cert of certs) {
      if (seen.has(cert.fingerprint256)) continue;
      seen.add(cert.fingerprint256);
      if (keep) extraCa.push(cert.toString());
    }
    return certs.length;
  };
  const fromText = (source: TrustStoreView['source'], text: string, path?: string) => {
    const { certs, bad } = parsePem(text);
    const where = path ? `${source} ${path}` : source;
    const view: TrustStoreView = { source, ...(path ? { path } : {}), certificates: add(certs, true) };
    if (certs.length === 0) {
      view.problem = 'holds no PEM certificate';
      warnings.push(`upstream trust: ${where} holds no PEM certificate; it adds nothing`);
    } else if (bad > 0) {
      view.problem = `${bad} certificate(s) could not be parsed and were skipped`;
      warnings.push(`upstream trust: ${where}: ${view.problem}`);
    }
    stores.push(view);
  };

  stores.push({ source: 'node', certificates: add(parsePem(tls.rootCertificates.join('\n')).certs, false) });

  const candidates = inputs.systemBundles ?? (env.SSL_CERT_FILE ? [env.SSL_CERT_FILE] : SYSTEM_CA_BUNDLES);
  const bundle = candidates.find((p) => existsSync(p));
  if (bundle === undefined) {
    const problem = `none of ${candidates.join(', ')} exists`;
    stores.push({ source: 'system', certificates: 0, problem });
    warnings.push(
      `upstream trust: no operating-system CA bundle found (${problem}); only Node's roots and the configured CAs are trusted`,
    );
  } else {
    const { text, problem } = readFile(bundle);
    if (text === undefined) {
      stores.push({ source: 'system', path: bundle, certificates: 0, problem });
      warnings.push(`upstream trust: the OS CA bundle ${bundle} ${problem}; it is skipped`);
    } else fromText('system', text, bundle);
  }

  const nodeExtra = inputs.nodeExtraCaCerts ?? env.NODE_EXTRA_CA_CERTS;
  if (nodeExtra) {
    const { text, problem } = readFile(nodeExtra);
    if (text === undefined) {
      stores.push({ source: 'NODE_EXTRA_CA_CERTS', path: nodeExtra, certificates: 0, problem });
      warnings.push(`upstream trust: NODE_EXTRA_CA_CERTS ${nodeExtra} ${problem}; it is skipped`);
    } else fromText('NODE_EXTRA_CA_CERTS', text, nodeExtra);
  }

  if (inputs.upstreamCaFile) {
    const { text, problem } = readFile(inputs.upstreamCaFile);
    if (text === undefined) {
      throw new TrustStoreError(`WARDEN_UPSTREAM_CA ${inputs.upstreamCaFile} ${problem}`);
    }
    fromText('WARDEN_UPSTREAM_CA', text, inputs.upstreamCaFile);
  }

  if (inputs.upstreamCa?.length) fromText('options', inputs.upstreamCa.join('\n'));
  return { extraCa, stores, warnings };
}
