// The audit commands that involve the team hub: `warden audit verify --against-hub`,
// `warden audit prove SEQ` and `warden audit check-proof FILE`. Like the other audit
// commands they read $WARDEN_HOME directly (the daemon may be stopped); only the first one
// talks to the hub, signed with this device's key.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { SyncLedger } from '../audit/index.ts';
import { defaultHome, wardenPaths } from '../home/index.ts';
import { compareWithHub } from '../sync/against-hub.ts';
import { loadDeviceKey } from '../sync/device-key.ts';
import { buildProof, checkProof, ProofError } from '../sync/proof.ts';
import { CliError, ExitCode } from './exit-codes.ts';

/** What these commands need of the audit command's dependencies. */
export interface AuditCommandDeps {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
}

function openLedger(deps: AuditCommandDeps): { ledger: SyncLedger; keyFile: string } {
  const paths = wardenPaths(defaultHome(deps.env));
  if (!existsSync(paths.auditDb)) {
    throw new CliError(
      `no audit database at ${paths.auditDb}`,
      ExitCode.environment,
      'nothing has been recorded yet',
    );
  }
  return { ledger: SyncLedger.open(paths.auditDb, 2000, true), keyFile: paths.syncKeyFile };
}

export async function verifyAgainstHub(deps: AuditCommandDeps, json: boolean): Promise<void> {
  const { ledger, keyFile } = openLedger(deps);
  try {
    const link = ledger.link();
    if (!link) {
      throw new CliError(
        'this device is not enrolled with a team hub',
        ExitCode.failed,
        'enroll it: warden sync enroll STRING',
      );
    }
    const key = await loadDeviceKey(keyFile);
    const result = await compareWithHub(ledger, {
      url: link.hubUrl,
      tlsPin: link.tlsPin,
      key,
      timeoutMs: 30_000,
    });
    deps.out(
      json ? `${JSON.stringify(result, null, 2)}\n` : `${result.ok ? 'ok' : 'DIVERGED'}: ${result.detail}\n`,
    );
    if (!result.ok) process.exitCode = ExitCode.failed;
  } finally {
    ledger.close();
  }
}

export function proveCommand(deps: AuditCommandDeps): Command {
  return new Command('prove')
    .description(
      'write a proof that record SEQ is in the chain the team hub countersigned (check it with check-proof)',
    )
    .argument('<seq>', 'the record')
    .option('--out <file>', 'the proof file (default warden-proof-SEQ.json)')
    .action((seqText: string, opts: { out?: string }) => {
      const seq = Number(seqText);
      if (!Number.isSafeInteger(seq) || seq < 1)
        throw new CliError('SEQ must be a positive whole number', ExitCode.usage);
      const { ledger } = openLedger(deps);
      try {
        const proof = buildProof(ledger, seq);
        const out = opts.out ?? `warden-proof-${seq}.json`;
        writeFileSync(out, `${JSON.stringify(proof)}\n`, { mode: 0o600 });
        deps.out(
          `wrote ${out}: seq ${seq} through the countersigned head at seq ${proof.receipt.leaf.seq}\n`,
        );
      } catch (error) {
        if (error instanceof ProofError) throw new CliError(error.message, ExitCode.failed);
        throw error;
      } finally {
        ledger.close();
      }
    });
}

export function checkProofCommand(deps: AuditCommandDeps): Command {
  return new Command('check-proof')
    .description('check a proof file offline (exit 1 naming what fails)')
    .argument('<file>', 'the file `warden audit prove` wrote')
    .option(
      '--hub-key <key>',
      "the hub's verifier key IT published (else the file's own key is used and printed)",
    )
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { hubKey?: string; json?: boolean }) => {
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new CliError(`cannot read ${file} as JSON: ${(error as Error).message}`, ExitCode.failed);
      }
      try {
        const r = checkProof(value, opts.hubKey);
        deps.out(
          opts.json
            ? `${JSON.stringify({ ok: true, ...r }, null, 2)}\n`
            : `ok: seq ${r.seq} is in the chain the hub countersigned at seq ${r.headSeq} (log ${r.origin}, tree of ${r.treeSize})\n` +
                (opts.hubKey
                  ? ''
                  : `  signed by ${r.hubKey}: compare it with the key IT published, or pass --hub-key\n`),
        );
      } catch (error) {
        if (error instanceof ProofError)
          throw new CliError(`proof does not check: ${error.message}`, ExitCode.failed);
        throw error;
      }
    });
}
