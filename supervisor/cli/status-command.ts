// `warden status`: is the daemon up, and what is it supervising.

import { Command } from 'commander';
import type { OrganisationStatus } from '../api/index.ts';
import { connect, printJson } from './connect.ts';
import { formatSyncStatus } from './sync-command.ts';

export function statusCommand(): Command {
  return new Command('status')
    .description('Show the daemon, its sandboxes and pending approvals (exit 3 when it is not running).')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await (await connect()).call('GET /v1/status');
      if (opts.json) return printJson(status);
      const out = [
        `daemon     running (pid ${status.pid}, version ${status.version}, since ${status.startedAt})`,
        `home       ${status.home}`,
        `CA         ${status.ca.certPath} (sha256 ${status.ca.fingerprint256.slice(0, 23)}…)`,
        `secrets    ${status.secrets} (kept in ${status.vault})`,
        `approvals  ${status.pendingApprovals} pending`,
        ...(status.sync ? [formatSyncStatus(status.sync).split('\n')[0]!] : []),
        ...(status.organisation ? organisationLines(status.organisation) : []),
        `sandboxes  ${status.sandboxes.length}`,
        ...status.sandboxes.map(
          (s) =>
            `  ${s.sandboxId}  ${s.kind === 'vm' ? `vm ${s.state}` : `host ${s.proxyUrl}`}  user ${s.user}${s.policySource ? `  policy ${s.policySource}` : ''}`,
        ),
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

function organisationLines(org: OrganisationStatus): string[] {
  const e = org.enforced;
  const head = e
    ? `org policy ${e.origin.kind === 'hub' ? 'from the team hub' : 'managed file'} ${e.source} (${e.origin.hash.slice(0, 19)}…)`
    : 'org policy none';
  return [head, ...org.warnings.map((w) => `  warning: ${w}`)];
}
