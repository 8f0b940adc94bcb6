// `warden export status`: this device's own OTLP export (a daemon started with
// `warden daemon --otlp-export URL`, for a team with a Collector and no hub).

import { Command } from 'commander';
import type { DeviceExportStatus } from '../api/export-types.ts';
import { connect, printJson } from './connect.ts';
import { ExitCode } from './exit-codes.ts';

export function formatExportStatus(s: DeviceExportStatus): string {
  if (s.state === 'off') return 'otlp export: off (start the daemon with --otlp-export URL)\n';
  return (
    `otlp export: ${s.state}  ${s.endpoint}\n` +
    `  exported seq ${s.exportedSeq} of ${s.headSeq ?? 0}  backlog ${s.backlog}  sent ${s.exported}\n` +
    `  last success ${s.lastSuccess ?? 'never'}${s.lastError ? `\n  last error: ${s.lastError}` : ''}` +
    `${s.nextAttempt ? `\n  next attempt ${s.nextAttempt}` : ''}\n`
  );
}

export function exportCommand(): Command {
  const cmd = new Command('export').description(
    'This device’s own OTLP export to an OpenTelemetry Collector (no hub needed)',
  );
  cmd
    .command('status')
    .description('Show the export: endpoint, exported seq, backlog, last error (exit 1 while failing)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const status = await (await connect()).call('GET /v1/export/status');
      if (opts.json) printJson(status);
      else process.stdout.write(formatExportStatus(status));
      if (status.state === 'backing-off') process.exitCode = ExitCode.failed;
    });
  return cmd;
}
