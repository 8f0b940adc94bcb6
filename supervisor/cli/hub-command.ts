// `warden hub`: run the team hub (`warden hub --db … --listen …`), mint enrollment tokens,
// list and revoke devices, list alerts, and verify what the hub holds.

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { WardenError } from '../api/errors.ts';
import { VERSION } from '../api/version.ts';
import { ExportLoop } from '../hub/exports/index.ts';
import { openExportStream } from '../hub/exports/open-stream.ts';
import type { ExportStream } from '../hub/exports/stream.ts';
import {
  type AdminHttp,
  alertVerifyProblems,
  defaultHubHome,
  HubServer,
  type HubService,
  hubPaths,
  openAdminHttp,
  openAdminStore,
  openHub,
  readHubInfo,
  requestRotation,
  sweepLag,
  verifyHub,
  writeHubInfo,
} from '../hub/index.ts';
import { formatEnrollment, tlsPinOf } from '../hub-protocol/enrollment.ts';
import { printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { adminCommand } from './hub-admin-command.ts';
import { exportCommand } from './hub-export-command.ts';
import { deviceGroupCommand, hubPolicyCommand } from './hub-policy-command.ts';

interface Common {
  home: string;
  db?: string;
}

const withCommon = (cmd: Command): Command =>
  cmd
    .option('--home <dir>', "the hub's state folder (its key; hub.db by default)", defaultHubHome())
    .option(
      '--db <url>',
      'sqlite:PATH (relative to --home) or postgres://user@host/db (default sqlite:hub.db)',
    );

/** "24h", "30m", "7d", "90s" → ms. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!m)
    throw new CliError(
      `invalid duration ${JSON.stringify(text)}`,
      ExitCode.usage,
      'Use e.g. 90s, 30m, 24h or 7d.',
    );
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

async function withHub<T>(o: Common, fn: (service: HubService) => Promise<T>): Promise<T> {
  let service: HubService;
  try {
    service = await openHub({ home: o.home, db: o.db });
  } catch (error) {
    throw asCliError(error);
  }
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

function asCliError(error: unknown): unknown {
  return error instanceof WardenError ? new CliError(error.message, ExitCode.environment, error.hint) : error;
}

function parseListen(text: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (!m || Number(m[2]) > 65535)
    throw new CliError(
      `invalid --listen ${JSON.stringify(text)}`,
      ExitCode.usage,
      'Use HOST:PORT, e.g. 127.0.0.1:8443.',
    );
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

function serveCommand(): Command {
  return withCommon(new Command('serve'))
    .description('Run the hub (the default: `warden hub --db … --listen …`)')
    .option('--listen <host:port>', 'address to listen on (plain HTTP only on loopback)', '127.0.0.1:8443')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option('--url <url>', 'the URL devices reach the hub at (default: from --listen)')
    .option('--silent-after <duration>', 'flag a device not heard from for this long', '10m')
    .option(
      '--lag-after <duration>',
      'flag a device with a backlog whose newest synced record is this old',
      '15m',
    )
    .option(
      '--retain-months <n>',
      'PostgreSQL: drop month partitions older than n months (each device checkpointed first), daily',
    )
    .action(
      async (
        o: Common & {
          listen: string;
          tlsCert?: string;
          tlsKey?: string;
          url?: string;
          silentAfter: string;
          lagAfter: string;
          retainMonths?: string;
        },
      ) => {
        if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) {
          throw new CliError('--tls-cert and --tls-key go together', ExitCode.usage);
        }
        const retainMonths = o.retainMonths === undefined ? null : Number(o.retainMonths);
        if (
          retainMonths !== null &&
          !(Number.isInteger(retainMonths) && retainMonths >= 1 && retainMonths <= 1200)
        ) {
          throw new CliError('--retain-months takes a whole number of months (1 or more)', ExitCode.usage);
        }
        const { host, port } = parseListen(o.listen);
        const tls =
          o.tlsCert && o.tlsKey ? { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) } : undefined;
        let service: HubService | undefined;
        let server: HubServer;
        let admin: AdminHttp | undefined;
        let exportStream: ExportStream | undefined;
        try {
          const hub = await openHub({ home: o.home, db: o.db, silentAfterMs: parseDuration(o.silentAfter) });
          service = hub;
          admin = await openAdminHttp(hub, { home: o.home, db: o.db, secure: Boolean(tls) });
          exportStream = await openExportStream({ home: o.home, db: o.db, now: () => hub.now() });
          server = new HubServer({
            admin,
            exportStream,
            service,
            host,
            port,
            tls,
            log: (line) => process.stderr.write(`${line}\n`),
          });
          // Retention runs before the port opens: a store that cannot retain refuses at once
          // instead of leaving a serving hub behind the error.
          if (retainMonths !== null) await retainOnce(service, retainMonths);
          await server.listen();
        } catch (error) {
          await closeQuietly([
            () => admin?.close(),
            () => exportStream?.o.db.close(),
            () => service?.close(),
          ]);
          throw asCliError(error);
        }
        const url = o.url ?? server.url;
        writeHubInfo(hubPaths(o.home), { url, tlsPin: tls ? tlsPinOf(tls.cert) : null });
        process.stdout.write(
          `warden hub: listening on ${server.url} (${service.store.kind}; log ${service.log.origin})\n`,
        );
        process.stdout.write(
          `  hub key: ${service.verifierKey}\n  enroll devices with: warden hub token create\n`,
        );
        const sweep = setInterval(() => {
          void service.sweepSilent().catch(() => undefined);
          void sweepLag(service.store, Date.now(), parseDuration(o.lagAfter)).catch(() => undefined);
        }, 60_000);
        sweep.unref();
        const retention =
          retainMonths === null
            ? null
            : setInterval(() => void retainOnce(service, retainMonths).catch(() => undefined), 86_400_000);
        retention?.unref();
        const exports = new ExportLoop(service.store, VERSION);
        exports.start();
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        clearInterval(sweep);
        if (retention) clearInterval(retention);
        await exports.stop();
        await server.close();
        await admin.close();
        await exportStream.o.db.close();
        await service.close();
      },
    );
}

/** Closes what a failed start opened; a second failure must not hide the first. */
async function closeQuietly(steps: Array<() => Promise<unknown> | undefined>): Promise<void> {
  for (const step of steps) await Promise.resolve(step()).catch(() => undefined);
}

/** Drop the partitions past retention and say what was dropped or kept (and why). */
async function retainOnce(service: HubService, months: number): Promise<void> {
  const report = await service.store.retain(months, Date.now());
  for (const d of report.dropped) {
    process.stderr.write(
      `warden hub: retention dropped ${d.partition} (${d.records} records of ${d.devices} device(s), checkpointed)\n`,
    );
  }
  for (const k of report.kept) process.stderr.write(`warden hub: retention kept ${k.partition}: ${k.why}\n`);
}

function tokenCommand(): Command {
  const token = new Command('token').description('One-time enrollment tokens');
  token.addCommand(
    withCommon(new Command('create'))
      .description(
        'Print a one-time enrollment string for `warden sync enroll` (the hub keeps only its hash)',
      )
      .option('--expires <duration>', 'how long the token can be used', '24h')
      .option('--url <url>', "the hub URL devices use (default: the running hub's, from hub.json)")
      .action(async (o: Common & { expires: string; url?: string }) => {
        const ttl = parseDuration(o.expires);
        const info = readHubInfo(hubPaths(o.home));
        const url = o.url ?? info?.url;
        if (!url) {
          throw new CliError(
            'the hub URL is unknown',
            ExitCode.usage,
            'Start the hub first, or pass --url https://hub.example:8443.',
          );
        }
        await withHub(o, async (service) => {
          const { token: secret, expiresAt } = await service.createToken(ttl);
          const text = formatEnrollment({
            url,
            hubKey: service.verifierKey,
            tlsPin: info?.tlsPin ?? null,
            token: secret,
          });
          process.stdout.write(`${text}\n`);
          process.stderr.write(`(one use; expires ${new Date(expiresAt).toISOString()})\n`);
        });
      }),
  );
  return token;
}

function deviceCommand(): Command {
  const device = new Command('device').description('Enrolled devices');
  device.addCommand(
    withCommon(new Command('ls'))
      .description('List enrolled devices')
      .option('--json', 'print JSON')
      .action(async (o: Common & { json?: boolean }) => {
        await withHub(o, async (service) => {
          const devices = await service.store.devices();
          const policies = await Promise.all(devices.map((d) => service.policies?.deviceView(d.id)));
          if (o.json) return printJson(devices.map((d, i) => ({ ...d, policy: policies[i] })));
          for (const [i, d] of devices.entries()) {
            const state = d.revokedAt ? 'revoked' : d.defaultPartition ? 'clock?' : 'active';
            const seen = d.lastSeen ? new Date(d.lastSeen).toISOString() : 'never';
            const p = policies[i];
            const policy = p ? `  policy ${p.state}${p.group ? ` (group ${p.group})` : ''}` : '';
            process.stdout.write(
              `${d.id}  ${state.padEnd(7)}  ${d.user}@${d.machine} (${d.os}, Warden ${d.version})  head ${d.head?.seq ?? '-'}  last seen ${seen}${policy}\n`,
            );
          }
          if (devices.length === 0) process.stdout.write('no device enrolled (warden hub token create)\n');
        });
      }),
  );
  device.addCommand(
    withCommon(new Command('revoke'))
      .description('Revoke a device key: its requests get 401 and its link stops')
      .argument('<id>', 'the device id (warden hub device ls)')
      .action(async (id: string, o: Common) => {
        await withHub(o, async (service) => {
          if (!(await service.store.device(id)))
            throw new CliError(`no device ${id}`, ExitCode.failed, 'See warden hub device ls.');
          const changed = await service.store.revoke(id, service.now());
          process.stdout.write(changed ? `revoked ${id}\n` : `${id} was already revoked\n`);
        });
      }),
  );
  device.addCommand(deviceGroupCommand({ withCommon, withHub, asCliError }));
  device.addCommand(
    withCommon(new Command('rotate'))
      .description('Ask a device for a new key: its next heartbeat makes one; then the old key is refused')
      .argument('<id>', 'the device id (warden hub device ls)')
      .action(async (id: string, o: Common) => {
        await withHub(o, async (service) => {
          const admin = await openAdminStore(o.home, o.db);
          try {
            const r = await requestRotation(service, admin, id, 'cli', service.now());
            process.stdout.write(
              `rotation of ${id} asked at ${new Date(r.requested).toISOString()}: the device makes a new key at its next heartbeat\n`,
            );
          } catch (error) {
            if (error instanceof WardenError && error.name === 'NotFound')
              throw new CliError(error.message, ExitCode.failed, 'See warden hub device ls.');
            throw asCliError(error);
          } finally {
            await admin.db.close();
          }
        });
      }),
  );
  return device;
}

function alertsCommand(): Command {
  return withCommon(new Command('alerts'))
    .description(
      'List alerts (fork, gap, rollback, silent, clock skew, default partition, lag, verify failed, enroll failed)',
    )
    .option('--device <id>', 'only this device')
    .option('--json', 'print JSON')
    .action(async (o: Common & { device?: string; json?: boolean }) => {
      await withHub(o, async (service) => {
        const alerts = await service.store.alerts(o.device);
        if (o.json) return printJson(alerts);
        for (const a of alerts) {
          process.stdout.write(
            `${new Date(a.at).toISOString()}  ${a.kind.padEnd(17)}  ${a.device}${a.seq === null ? '' : ` seq ${a.seq}`}  ${a.message}\n`,
          );
        }
      });
    });
}

function verifyCommand(): Command {
  return withCommon(new Command('verify'))
    .description("Re-hash every stored record with the device chain code and rebuild the log's root")
    .option('--json', 'print JSON')
    .action(async (o: Common & { json?: boolean }) => {
      await withHub(o, async (service) => {
        const report = await verifyHub(service.store, service.log);
        await alertVerifyProblems(service.store, report, Date.now());
        if (o.json) printJson(report);
        else if (report.ok) {
          process.stdout.write(
            `ok: ${report.records} records of ${report.devices} devices, ${report.leaves} log leaves\n`,
          );
        } else {
          for (const p of report.problems) {
            process.stdout.write(
              `${p.device ? `device ${p.device}` : 'log'}${p.seq === null ? '' : ` seq ${p.seq}`}: ${p.problem}\n`,
            );
          }
        }
        if (!report.ok) process.exitCode = ExitCode.failed;
      });
    });
}

export function hubCommand(): Command {
  return new Command('hub')
    .description('The team hub: devices sync their audit trails to it and get countersigned receipts')
    .addCommand(serveCommand(), { isDefault: true })
    .addCommand(tokenCommand())
    .addCommand(deviceCommand())
    .addCommand(hubPolicyCommand({ withCommon, withHub, asCliError }))
    .addCommand(alertsCommand())
    .addCommand(verifyCommand())
    .addCommand(adminCommand())
    .addCommand(exportCommand({ withCommon, withHub, asCliError, parseDuration }));
}
