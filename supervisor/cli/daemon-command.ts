// `warden daemon`: run the supervisor in the foreground until SIGINT/SIGTERM.

import { Command, InvalidArgumentError, Option } from 'commander';
import type { WardenError } from '../api/errors.ts';
import { checkReviewerHook, type ReviewerHookConfig } from '../approvals/index.ts';
import { Daemon, DaemonStartError } from '../daemon/index.ts';
import { defaultHome } from '../home/index.ts';
import { parseResolveOverrides } from '../proxy/index.ts';
import { CliError, ExitCode } from './exit-codes.ts';

export function daemonCommand(): Command {
  return new Command('daemon')
    .description('Run the supervisor daemon in the foreground (state in $WARDEN_HOME).')
    .addOption(
      new Option(
        '--http-port <port>',
        'also serve the API on this loopback port (browser mode; 0 = any)',
      ).argParser(Number),
    )
    .addOption(
      new Option('--pool-size <n>', 'pre-booted VMs in the warm pool (0 disables it)')
        .env('WARDEN_POOL_SIZE')
        .default(1)
        .argParser(parseCount),
    )
    .addOption(
      new Option(
        '--vm-templates <on|off>',
        'start VMs by restoring a saved booted guest of their image (built after its first boot)',
      )
        .env('WARDEN_VM_TEMPLATES')
        .choices(['on', 'off'])
        .default('on'),
    )
    .addOption(
      new Option(
        '--reviewer-command <json>',
        'reviewer hook: a JSON array argv (no shell) that answers each approval first',
      ).env('WARDEN_REVIEWER_COMMAND'),
    )
    .addOption(
      new Option(
        '--reviewer-url <url>',
        'reviewer hook: a webhook (HTTPS, or HTTP on loopback) that answers each approval first',
      ).env('WARDEN_REVIEWER_URL'),
    )
    .addOption(
      new Option('--reviewer-timeout-ms <ms>', 'reviewer hook deadline (then: deny)')
        .env('WARDEN_REVIEWER_TIMEOUT_MS')
        .argParser(Number),
    )
    .addOption(
      new Option(
        '--otlp-export <url>',
        'send this device’s audit records to an OTLP/HTTP endpoint (an OpenTelemetry Collector; /v1/logs is added)',
      )
        .env('WARDEN_OTLP_EXPORT')
        .argParser(parseHttpUrl),
    )
    .addHelpText(
      'after',
      '\nEnvironment:\n  WARDEN_HOME          state folder\n  WARDEN_UPSTREAM_CA   PEM file of extra CAs trusted for upstream servers (besides the bundled roots,\n                       the OS bundle, e.g. /etc/ssl/certs/ca-certificates.crt or $SSL_CERT_FILE,\n                       and NODE_EXTRA_CA_CERTS)\n  WARDEN_RESOLVE       name=address[,name=address] pins, like curl --resolve\n  WARDEN_ACCEL         kvm or tcg: skip the KVM probe and use this accelerator\n  WARDEN_QEMU          the QEMU binary (default qemu-system-x86_64)',
    )
    .action(async (opts: DaemonCommandOptions) => {
      // Everything the daemon and its children (QEMU) create is owner-only by default.
      process.umask(0o077);
      const reviewerHook = reviewerHookOption(opts);
      const accel = process.env.WARDEN_ACCEL || undefined;
      if (accel !== undefined && accel !== 'kvm' && accel !== 'tcg' && accel !== 'hvf') {
        throw new CliError(
          `WARDEN_ACCEL must be kvm, tcg or hvf, not ${JSON.stringify(accel)}`,
          ExitCode.usage,
        );
      }
      let resolve: Map<string, string[]>;
      try {
        resolve = parseResolveOverrides(process.env.WARDEN_RESOLVE);
      } catch (error) {
        throw new CliError((error as Error).message, ExitCode.usage);
      }
      let daemon: Daemon;
      try {
        daemon = await Daemon.start({
          home: defaultHome(),
          httpPort: opts.httpPort,
          ...(process.env.WARDEN_UPSTREAM_CA ? { upstreamCaFile: process.env.WARDEN_UPSTREAM_CA } : {}),
          resolve,
          poolSize: opts.poolSize,
          vmTemplates: opts.vmTemplates !== 'off',
          ...(opts.otlpExport ? { otlpExport: { endpoint: opts.otlpExport } } : {}),
          ...(accel ? { accel } : {}),
          ...(process.env.WARDEN_QEMU ? { qemuBinary: process.env.WARDEN_QEMU } : {}),
          ...(reviewerHook ? { reviewerHook } : {}),
        });
      } catch (error) {
        if (error instanceof DaemonStartError)
          throw new CliError(error.message, ExitCode.environment, error.hint);
        throw error;
      }
      // A bug in one exchange must not take every sandbox's network down with it.
      process.on('uncaughtException', (error) =>
        daemon.log.error('internal error', { error: error.stack ?? String(error) }),
      );
      await new Promise<void>((done) => {
        const stop = (signal: string) => {
          daemon.log.info('stopping', { signal });
          daemon.stop().then(done, done);
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

interface DaemonCommandOptions {
  httpPort?: number;
  poolSize: number;
  vmTemplates: 'on' | 'off';
  reviewerCommand?: string;
  reviewerUrl?: string;
  reviewerTimeoutMs?: number;
  otlpExport?: string;
}

/** The reviewer hook named by the options, checked; a usage error says what is wrong. */
function reviewerHookOption(opts: DaemonCommandOptions): ReviewerHookConfig | undefined {
  if (opts.reviewerCommand !== undefined && opts.reviewerUrl !== undefined)
    throw new CliError('name one reviewer hook: a command or a URL, not both', ExitCode.usage);
  const timeout = opts.reviewerTimeoutMs !== undefined ? { timeoutMs: opts.reviewerTimeoutMs } : {};
  try {
    if (opts.reviewerUrl !== undefined) return checkReviewerHook({ url: opts.reviewerUrl, ...timeout });
    if (opts.reviewerCommand === undefined) return undefined;
    let argv: unknown;
    try {
      argv = JSON.parse(opts.reviewerCommand);
    } catch {
      throw new CliError(
        'the reviewer command must be a JSON array, e.g. ["/usr/local/bin/review","--strict"]',
        ExitCode.usage,
      );
    }
    return checkReviewerHook({ command: argv as string[], ...timeout });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const e = error as WardenError;
    throw new CliError(e.message, ExitCode.usage, e.hint);
  }
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 16) {
    throw new InvalidArgumentError('expected a whole number from 0 to 16');
  }
  return n;
}

function parseHttpUrl(value: string): string {
  let ok = false;
  try {
    const u = new URL(value);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {}
  if (!ok) throw new InvalidArgumentError('an http(s) URL without credentials, e.g. http://127.0.0.1:4318');
  return value;
}
