// What a daemon reads before it is built: its home (made private), no other daemon on the
// socket, the base policy, the upstream trust stores, the CA, the vault, the audit trail and
// the API token. Each failure stops the start with a message naming the file and what to do.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AuditWriter } from '../audit/audit-writer.ts';
import type { AuditStore, SyncLedger } from '../audit/index.ts';
import { CertificateAuthority } from '../ca/index.ts';
import { ensureHome, type WardenPaths, wardenPaths } from '../home/index.ts';
import { formatPolicyError, loadPolicyFile, type PolicyLayer } from '../policy/index.ts';
import { type LoadedTrust, type Logger, loadTrustStores, TrustStoreError } from '../proxy/index.ts';
import { Vault } from '../secrets/index.ts';
import { type DaemonOptions, DaemonStartError } from './daemon-options.ts';
import { checkDeviceExport } from './device-export.ts';
import { openAuditTrail } from './open-audit.ts';
import { removeStale, socketAnswers, writeCaBundle, writeToken } from './state-files.ts';

export interface PreparedDaemon {
  paths: WardenPaths;
  ca: CertificateAuthority;
  vault: Vault;
  audit: AuditStore;
  writer: AuditWriter;
  ledger: SyncLedger;
  base: PolicyLayer | undefined;
  token: string;
  trust: LoadedTrust;
}

export async function prepareDaemon(opts: DaemonOptions, log: Logger): Promise<PreparedDaemon> {
  const paths = wardenPaths(opts.home);
  checkDeviceExport(opts.otlpExport);
  try {
    const tightened = ensureHome(paths.home);
    if (tightened) log.warn(tightened);
  } catch (error) {
    throw new DaemonStartError((error as Error).message);
  }
  if (await socketAnswers(paths.socket)) {
    throw new DaemonStartError(
      `a Warden daemon is already running for ${paths.home}`,
      'use it, or stop it first',
    );
  }
  await removeStale(paths.socket);
  const base = await loadBasePolicy(paths.basePolicy);
  const trust = loadTrust(opts);
  for (const warning of trust.warnings) log.warn(warning);
  const ca = await CertificateAuthority.loadOrCreate(paths.caDir);
  await writeCaBundle(path.join(paths.caDir, 'bundle.pem'), ca.certPem);
  const vault = await Vault.open({ file: paths.secretsFile, keyFile: paths.secretsKeyFile });
  const { audit, writer, ledger } = await openAuditTrail(paths.auditDb, log);
  const token = await writeToken(paths.tokenFile);
  return { paths, ca, vault, audit, writer, ledger, base, token, trust };
}

async function loadBasePolicy(file: string): Promise<PolicyLayer | undefined> {
  if (!existsSync(file)) return undefined;
  const parsed = await loadPolicyFile(file);
  if (!parsed.ok) {
    throw new DaemonStartError(
      `the base policy ${file} is not valid:\n${parsed.errors.map((e) => `  ${formatPolicyError(e)}`).join('\n')}`,
      `fix it (warden policy check ${file}) or move it away to start with the built-in default (ask)`,
    );
  }
  return { layer: 'base', source: file, document: parsed.document, lines: parsed.lines };
}

function loadTrust(opts: DaemonOptions): LoadedTrust {
  try {
    return loadTrustStores({
      upstreamCa: opts.upstreamCa,
      upstreamCaFile: opts.upstreamCaFile,
      systemBundles: opts.systemCaBundles,
      nodeExtraCaCerts: opts.nodeExtraCaCerts,
    });
  } catch (error) {
    if (!(error instanceof TrustStoreError)) throw error;
    throw new DaemonStartError(error.message, 'fix the path in WARDEN_UPSTREAM_CA, or unset it');
  }
}
