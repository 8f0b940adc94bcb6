// `warden audit`: read, verify and export the audit trail. Opens the database read-only
// straight from $WARDEN_HOME, so it works whether or not the daemon is running. Verify and
// export to a file run in worker threads with progress on standard error and Ctrl-C
// (audit-progress.ts); the desktop app runs the same work as daemon tasks.

import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import {
  AUDIT_KINDS,
  AUDIT_OUTCOMES,
  type AuditChainStatus,
  type AuditFilter,
  type AuditKind,
  type AuditOutcome,
  type AuditRecord,
} from '../api/audit-types.ts';
import {
  AuditStore,
  anchorFileOf,
  type ExportFormat,
  exportAsync,
  ProgressSlot,
  parseTimeArg,
  progressCounter,
  verifyChainAsync,
} from '../audit/index.ts';
import { defaultHome, wardenPaths } from '../home/index.ts';
import { parsePackageFilter } from '../packages/index.ts';
import { checkProofCommand, proveCommand, verifyAgainstHub } from './audit-hub-commands.ts';
import { type ProgressDeps, withProgress } from './audit-progress.ts';
import { CliError, ExitCode } from './exit-codes.ts';

export interface AuditCommandDeps {
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  now: () => number;
  /** Poll interval of --follow (ms). */
  pollMs: number;
  /** Ends --follow, stops a verify or export as Ctrl-C does (tests). */
  signal?: AbortSignal;
  /** A line on standard error (a long verify's or export's progress). */
  say: (line: string) => void;
  /** From how many records verify and export --out run in workers (default WORKERS_FROM). */
  workersFrom?: number;
  /** When a long verify or export first says how far it is, then how often (ms). */
  progressMs?: { first: number; every: number };
}

/** Below this many records a verify or export takes well under a second: done in this thread. */
export const WORKERS_FROM = 50_000;

const defaultDeps = (): AuditCommandDeps => ({
  env: process.env,
  out: (text) => {
    process.stdout.write(text);
  },
  now: Date.now,
  pollMs: 500,
  say: (line) => {
    process.stderr.write(`${line}\n`);
  },
});

function progressDeps(deps: AuditCommandDeps): ProgressDeps {
  return {
    say: deps.say,
    ...(deps.signal ? { signal: deps.signal } : {}),
    ...(deps.progressMs ? { firstMs: deps.progressMs.first, everyMs: deps.progressMs.every } : {}),
  };
}

function openStore(deps: AuditCommandDeps): AuditStore {
  return AuditStore.open(auditFile(deps), { readOnly: true });
}

function auditFile(deps: AuditCommandDeps): string {
  const file = wardenPaths(defaultHome(deps.env)).auditDb;
  if (!existsSync(file)) {
    throw new CliError(
      `no audit database at ${file}`,
      ExitCode.environment,
      'nothing has been recorded yet, or WARDEN_HOME points somewhere else',
    );
  }
  return file;
}

function time(text: string | undefined, deps: AuditCommandDeps, flag: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseTimeArg(text, deps.now());
  } catch (error) {
    throw new CliError(`${flag}: ${(error as Error).message}`, ExitCode.usage);
  }
}

export function formatRecord(r: AuditRecord): string {
  const message = typeof r.ocsf.message === 'string' ? r.ocsf.message : '';
  return (
    [
      new Date(r.time).toISOString(),
      `#${r.seq}`,
      r.kind,
      r.sandboxId ?? '-',
      r.user,
      r.outcome ?? '-',
      message,
    ].join('  ') + '\n'
  );
}

export function formatChainStatus(s: AuditChainStatus): string {
  const lines: string[] = [];
  if (s.ok) {
    lines.push(
      `audit chain OK: ${s.records} records verified` +
        (s.head ? ` (seq ${s.startSeq}…${s.head.seq}, head ${s.head.hash.slice(0, 16)}…)` : '') +
        ` in ${s.durationMs} ms`,
    );
  } else {
    lines.push(`audit chain BROKEN at record ${s.firstBad?.seq}: ${s.firstBad?.problem}`);
    lines.push(`  ${s.records} records verified before it`);
  }
  if (s.anchor.state === 'behind') {
    lines.push(
      `  note: ${s.anchor.unanchored} newest record(s) are after the anchor (seq ${s.anchor.headSeq})`,
    );
  }
  return lines.join('\n') + '\n';
}

async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

interface ListOptions {
  sandbox?: string;
  kind?: AuditKind;
  host?: string;
  outcome?: AuditOutcome;
  package?: string;
  since?: string;
  until?: string;
  limit: string;
  follow?: boolean;
  json?: boolean;
}

async function list(opts: ListOptions, deps: AuditCommandDeps): Promise<void> {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new CliError('--limit must be a whole number from 1 to 1000', ExitCode.usage);
  }
  const filter: AuditFilter = {
    sandbox: opts.sandbox,
    kind: opts.kind,
    host: opts.host,
    outcome: opts.outcome,
    since: time(opts.since, deps, '--since'),
    until: time(opts.until, deps, '--until'),
  };
  if (opts.package !== undefined) {
    const pkg = parsePackageFilter(opts.package);
    if (!pkg) {
      throw new CliError(
        `--package must be a package name, optionally with @version (got ${JSON.stringify(opts.package.slice(0, 120))})`,
        ExitCode.usage,
      );
    }
    filter.package = pkg;
  }
  const store = openStore(deps);
  try {
    const print = (r: AuditRecord) => deps.out(opts.json ? `${JSON.stringify(r)}\n` : formatRecord(r));
    // The newest `limit` records, printed oldest first like a log.
    const page = store.query(filter, { limit });
    const shown = [...page.records].reverse();
    shown.forEach(print);
    if (!opts.follow) return;
    let last = store.head()?.seq ?? 0;
    while (!deps.signal?.aborted) {
      await sleep(deps.pollMs, deps.signal);
      for (;;) {
        // Follow ignores --until (a live tail) and scans every new record once.
        const head = store.head()?.seq ?? last;
        const batch = store.follow(last, { ...filter, until: undefined }, 1000);
        batch.forEach(print);
        last = batch.length === 1000 ? (batch[batch.length - 1] as AuditRecord).seq : Math.max(last, head);
        if (batch.length < 1000) break;
      }
    }
  } finally {
    store.close();
  }
}

function verifyCommand(deps: AuditCommandDeps): Command {
  return new Command('verify')
    .description('check the hash chain and the anchor; exit 1 naming the first bad record when broken')
    .option('--json', 'print the result as JSON')
    .option('--against-hub', 'also compare with the team hub; name the first seq where they differ')
    .action(async (opts: { json?: boolean; againstHub?: boolean }) => {
      if (opts.againstHub) return verifyAgainstHub(deps, opts.json ?? false);
      const file = auditFile(deps);
      const status = isLong(deps) ? await verifyInWorkers(deps, file) : verifyHere(deps);
      if (!status) return;
      deps.out(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatChainStatus(status));
      if (!status.ok) process.exitCode = ExitCode.failed;
    });
}

/** A trail this long is checked or written in worker threads, with progress and Ctrl-C. */
function isLong(deps: AuditCommandDeps): boolean {
  const store = openStore(deps);
  try {
    return store.count() >= (deps.workersFrom ?? WORKERS_FROM);
  } finally {
    store.close();
  }
}

function verifyHere(deps: AuditCommandDeps): AuditChainStatus {
  const store = openStore(deps);
  try {
    return store.verify();
  } finally {
    store.close();
  }
}

async function verifyInWorkers(deps: AuditCommandDeps, file: string): Promise<AuditChainStatus | null> {
  const counter = progressCounter();
  let total = 0;
  return withProgress(
    'checking the chain',
    counter,
    () => total,
    progressDeps(deps),
    (signal) =>
      verifyChainAsync(file, anchorFileOf(file), {
        signal,
        progress: counter,
        onTotal: (n) => {
          total = n;
        },
        onDiagnose: () => deps.say('warden:   something is wrong: naming the first bad record'),
      }),
  );
}

function exportCommand(deps: AuditCommandDeps): Command {
  return new Command('export')
    .description('write records as OCSF (JSON array or NDJSON) or as Warden records with hashes (JSON lines)')
    .addOption(
      new Option('--format <format>', 'ocsf | ocsf-ndjson | jsonl')
        .choices(['ocsf', 'ocsf-ndjson', 'jsonl'])
        .makeOptionMandatory(),
    )
    .option('--since <time>', 'only records at or after this time (ISO-8601, or 30m, 1h, 7d ago)')
    .option(
      '--out <file>',
      'write to this file (created 0600, as <file>.partial until complete) instead of standard output',
    )
    .action(async (opts: { format: ExportFormat; since?: string; out?: string }) => {
      const since = time(opts.since, deps, '--since');
      if (opts.out && isLong(deps)) return exportInWorker(deps, opts.out, opts.format, since);
      const store = openStore(deps);
      const fd = opts.out ? openSync(opts.out, 'w', 0o600) : -1;
      try {
        const count = store.export({
          format: opts.format,
          since,
          write: fd >= 0 ? (chunk) => void writeSync(fd, chunk) : deps.out,
        });
        if (fd >= 0) deps.say(`wrote ${count} records to ${opts.out}`);
      } finally {
        if (fd >= 0) closeSync(fd);
        store.close();
      }
    });
}

async function exportInWorker(
  deps: AuditCommandDeps,
  out: string,
  format: ExportFormat,
  since: number | undefined,
): Promise<void> {
  const file = auditFile(deps);
  const counter = progressCounter();
  const count = await withProgress(
    `writing ${out}`,
    counter,
    () => Atomics.load(counter, ProgressSlot.TOTAL),
    progressDeps(deps),
    (signal) =>
      exportAsync({
        file,
        format,
        out,
        progress: counter,
        signal,
        ...(since !== undefined ? { since } : {}),
      }),
  );
  if (count !== null) deps.say(`wrote ${count} records to ${out}`);
  else deps.say(`warden: ${out} was not written`);
}

export function auditCommand(overrides: Partial<AuditCommandDeps> = {}): Command {
  const deps = { ...defaultDeps(), ...overrides };
  return new Command('audit')
    .description(
      'show, verify and export the audit trail (reads $WARDEN_HOME directly; the daemon may be stopped)',
    )
    .enablePositionalOptions()
    .option('--sandbox <id>', 'only this sandbox (agent)')
    .addOption(new Option('--kind <kind>', 'only this event kind').choices(AUDIT_KINDS))
    .option('--host <host>', 'only requests to this host')
    .option('--package <name[@version]>', 'only npm tarballs fetched of this package (and version)')
    .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(AUDIT_OUTCOMES))
    .option('--since <time>', 'from this time (ISO-8601, or 30m, 1h, 7d ago)')
    .option('--until <time>', 'before this time (ISO-8601, or 30m, 1h, 7d ago)')
    .option('--limit <n>', 'how many of the newest records to show (1…1000)', '50')
    .option('--follow', 'keep printing new records as they are written')
    .option('--json', 'one JSON record per line')
    .action((opts: ListOptions) => list(opts, deps))
    .addCommand(verifyCommand(deps))
    .addCommand(exportCommand(deps))
    .addCommand(proveCommand(deps))
    .addCommand(checkProofCommand(deps));
}
