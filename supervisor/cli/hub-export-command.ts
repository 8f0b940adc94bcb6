// `warden hub export add|ls|rm|run`: destinations the hub sends its records to (issue 16).
// `warden hub` (serve) runs every destination in the background; `export run` does one
// round in the foreground (for a cron job, or to see an endpoint's error at once).

import { Command } from 'commander';
import { VERSION } from '../api/version.ts';
import { addExportTarget, exportStatuses, runnerFor } from '../hub/exports/index.ts';
import type { HubService } from '../hub/index.ts';
import { printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { exportTokenCommand } from './hub-export-token-command.ts';

interface Common {
  home: string;
  db?: string;
}

/** What `warden hub`'s other commands share (passed in: hub-command.ts imports this file). */
export interface HubCommandKit {
  withCommon(cmd: Command): Command;
  withHub<T>(o: Common, fn: (service: HubService) => Promise<T>): Promise<T>;
  asCliError(error: unknown): unknown;
  parseDuration(text: string): number;
}

interface AddOptions extends Common {
  name?: string;
  tokenFile?: string;
  index?: string;
  sourceType?: string;
}

const when = (ms: number | null): string => (ms ? new Date(ms).toISOString() : 'never');

export function exportCommand(kit: HubCommandKit): Command {
  const { withCommon, withHub, asCliError } = kit;
  const cmd = new Command('export').description(
    'Send the hub’s records to OpenTelemetry (OTLP/HTTP logs), Splunk HEC or OCSF NDJSON files',
  );
  cmd.addCommand(
    withCommon(new Command('add'))
      .description(
        'Add a destination: `otlp URL` (a Collector’s OTLP/HTTP endpoint), `hec URL --token-file FILE` (Splunk HTTP Event Collector) or `files DIR` (daily OCSF gzip files)',
      )
      .argument('<kind>', 'otlp, hec or files')
      .argument(
        '<url>',
        'otlp: e.g. http://127.0.0.1:4318 (/v1/logs is added); hec: e.g. https://splunk:8088; files: an absolute folder',
      )
      .option('--name <name>', 'a name for the destination (default from the kind and host)')
      .option('--token-file <file>', 'hec: a file (mode 600) holding the HEC token')
      .option('--index <index>', 'hec: the Splunk index (default: the token’s)')
      .option('--source-type <type>', 'hec: the sourcetype (default warden:ocsf)')
      .action(async (kind: string, url: string, o: AddOptions) => {
        await withHub(o, async (service) => {
          try {
            const t = await addExportTarget(service.store, kind, url, o.name, service.now(), {
              tokenFile: o.tokenFile,
              index: o.index,
              sourcetype: o.sourceType,
            });
            process.stdout.write(`added ${t.name}: ${t.kind} ${t.target} (from the first record on)\n`);
          } catch (error) {
            throw asCliError(error);
          }
        });
      }),
  );
  cmd.addCommand(
    withCommon(new Command('ls'))
      .description('List destinations with their lag (records not yet confirmed) and last error')
      .option('--json', 'print JSON')
      .action(async (o: Common & { json?: boolean }) => {
        await withHub(o, async (service) => {
          const all = await exportStatuses(service.store);
          if (o.json) return printJson(all);
          for (const t of all) {
            process.stdout.write(
              `${t.name}  ${t.kind} ${t.target}  exported ${t.exported}  lag ${t.lag}  last success ${when(t.lastSuccess)}${t.lastError ? `  error: ${t.lastError}` : ''}\n`,
            );
          }
          if (all.length === 0) process.stdout.write('no export (warden hub export add otlp URL)\n');
        });
      }),
  );
  cmd.addCommand(
    withCommon(new Command('rm'))
      .description('Remove a destination (its cursor goes with it)')
      .argument('<name>')
      .action(async (name: string, o: Common) => {
        await withHub(o, async (service) => {
          if (!(await service.store.removeExportTarget(name)))
            throw new CliError(`no export named ${name}`, ExitCode.failed, 'See warden hub export ls.');
          process.stdout.write(`removed ${name}\n`);
        });
      }),
  );
  cmd.addCommand(
    withCommon(new Command('run'))
      .description('Send what is pending to every destination once, in the foreground')
      .option('--retry-for <seconds>', 'how long one batch may retry a busy endpoint', '60')
      .action(async (o: Common & { retryFor: string }) => {
        await withHub(o, async (service) => {
          let failed = false;
          for (const t of await service.store.exportTargets()) {
            const runner = runnerFor(service.store, t, VERSION, { retryForMs: Number(o.retryFor) * 1000 });
            const r = await runner.round();
            process.stdout.write(
              `${t.name}: sent ${r.sent}${r.rejected ? `, rejected ${r.rejected}` : ''}${r.error ? `; error: ${r.error}` : ''}\n`,
            );
            if (r.error) failed = true;
          }
          if (failed) process.exitCode = ExitCode.failed;
        });
      }),
  );
  cmd.addCommand(exportTokenCommand(kit));
  return cmd;
}
