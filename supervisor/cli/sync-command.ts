// `warden sync enroll STRING` and `warden sync status`: the device side of the team hub.
// Enrollment runs in the daemon (it owns the device key and the link); the string may be
// given as `-` to read it from stdin, so the one-time token stays out of the shell history.

import { Command } from 'commander';
import type { SyncStatus } from '../api/sync-types.ts';
import { connect, connectOrStart, printJson } from './connect.ts';
import { ExitCode } from './exit-codes.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 8192) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8').trim();
}

export function formatSyncStatus(s: SyncStatus): string {
  if (s.state === 'off') return 'sync       off (not enrolled: warden sync enroll STRING)\n';
  const lines = [
    `sync       ${s.state}${s.hub ? ` → ${s.hub}` : ''}${s.deviceId ? ` (device ${s.deviceId})` : ''}`,
    `position   acknowledged seq ${s.acknowledgedSeq ?? '-'} of ${s.headSeq ?? '-'}, backlog ${s.backlog}, lag ${(s.lagMs / 1000).toFixed(1)} s`,
    `receipts   ${s.receipts} (hub log tree of ${s.treeSize})`,
    `last ok    ${s.lastSuccess ?? 'never'}`,
  ];
  if (s.lastError) lines.push(`last error ${s.lastError}`);
  if (s.nextAttempt) lines.push(`next try   ${s.nextAttempt}`);
  return `${lines.join('\n')}\n`;
}

export function syncCommand(): Command {
  const sync = new Command('sync').description("The team hub: sync this device's audit trail to IT's hub.");
  sync
    .command('enroll')
    .description(
      'Enroll this device with a hub (the string `warden hub token create` printed; - reads stdin).',
    )
    .argument('<string>', 'the enrollment string, or - to read it from stdin')
    .option('--json', 'print JSON')
    .action(async (text: string, opts: { json?: boolean }) => {
      const enrollment = text === '-' ? await readStdin() : text;
      const client = await connectOrStart(undefined, (line) => process.stderr.write(`${line}\n`));
      const done = await client.call('POST /v1/sync/enroll', { body: { enrollment } });
      if (opts.json) return printJson(done);
      process.stdout.write(
        `enrolled with ${done.hub} as device ${done.deviceId}; records from seq ${done.startSeq} on will be synced\n`,
      );
    });
  sync
    .command('status')
    .description(
      'Show the sync link: state, acknowledged seq, backlog, lag, last error (exit 1 when failing).',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await (await connect()).call('GET /v1/sync/status');
      if (opts.json) printJson(status);
      else process.stdout.write(formatSyncStatus(status));
      if (status.state === 'revoked' || status.state === 'forked' || status.state === 'parked') {
        process.exitCode = ExitCode.failed;
      }
    });
  return sync;
}
