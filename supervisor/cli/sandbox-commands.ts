// `warden shell`, `warden ps`, `warden stop`, `warden logs`: the sandboxes that run.

import { Command, InvalidArgumentError } from 'commander';
import type { SandboxView } from '../api/index.ts';
import { attach } from './attach.ts';
import { connect, printJson } from './connect.ts';

export function shellCommand(): Command {
  return new Command('shell')
    .description('Open an interactive shell (or run COMMAND) in a running sandbox, on a PTY.')
    .argument('<sandbox>', 'the sandbox id (see: warden ps)')
    .argument('[command...]', 'what to run instead of sh (after --)')
    .option('--no-tty', 'no PTY even when attached to a terminal')
    .action(async (sandboxId: string, command: string[], opts: { tty?: boolean }) => {
      const client = await connect();
      process.exitCode = await attach(client, sandboxId, {
        argv: command.length > 0 ? command : ['sh'],
        ...(opts.tty === false ? { tty: false } : {}),
      });
    });
}

function age(since: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** One row of `warden ps`; a host sandbox (a listener, no VM) has no machine to show. */
function row(s: SandboxView): string[] {
  if (s.kind === 'host')
    return [
      s.sandboxId,
      'host',
      'LISTENING',
      age(s.createdAt),
      `${s.host}:${s.port}`,
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      '-',
      String(s.promptsLastHour ?? '-'),
    ];
  return [
    s.sandboxId,
    'vm',
    s.state,
    age(s.createdAt),
    `127.0.0.1:${s.proxyPort}`,
    s.image.id.slice(0, 12),
    String(s.cpus),
    `${s.memoryMiB}M`,
    s.diskMiB ? `${s.diskMiB / 1024}G` : 'ram',
    s.accel?.accel ?? '-',
    s.agents.length ? s.agents.map((a) => `${a.name}@${a.version}`).join(',') : '-',
    s.workspace ? `${s.workspace.hostPath}${s.workspace.readOnly ? ' (ro)' : ''}` : '-',
    String(s.promptsLastHour ?? '-'),
  ];
}

export function formatSandboxes(list: SandboxView[]): string {
  const rows = [
    [
      'SANDBOX',
      'KIND',
      'STATE',
      'AGE',
      'PROXY',
      'IMAGE',
      'CPUS',
      'MEMORY',
      'DISK',
      'ACCEL',
      'AGENTS',
      'WORKSPACE',
      'PROMPTS/H',
    ],
  ];
  for (const s of list) rows.push(row(s));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  for (const s of list)
    if (s.kind === 'vm' && s.state === 'ERROR' && s.reason)
      lines.push(`${s.sandboxId}: ${s.reason.split('\n')[0]}`);
  return `${lines.join('\n')}\n`;
}

export function psCommand(): Command {
  return new Command('ps')
    .description(
      'List the sandboxes: microVMs (and their state) and host processes behind a proxy (warden proxy).',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connect()).call('GET /v1/sandboxes');
      if (opts.json) return printJson(list);
      process.stdout.write(list.length === 0 ? 'no sandboxes\n' : formatSandboxes(list));
    });
}

export function stopCommand(): Command {
  return new Command('stop')
    .description(
      'Stop sandboxes: power off the VM (if it has one), close the proxy listener, revoke placeholders.',
    )
    .argument('<sandbox...>', 'sandbox ids (see: warden ps)')
    .action(async (ids: string[]) => {
      const client = await connect();
      for (const sandboxId of ids) {
        await client.call('DELETE /v1/sandboxes/:sandboxId', { params: { sandboxId }, timeoutMs: 60_000 });
        process.stdout.write(`stopped ${sandboxId}\n`);
      }
    });
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description("Print the end of a sandbox's guest console (kernel and init messages).")
    .argument('<sandbox>', 'the sandbox id')
    .option('-n, --lines <n>', 'how many lines', positive, 200)
    .action(async (sandboxId: string, opts: { lines: number }) => {
      const r = await (await connect()).call('GET /v1/sandboxes/:sandboxId/logs', {
        params: { sandboxId },
        query: { lines: String(opts.lines) },
      });
      process.stdout.write(r.console ? `${r.console}\n` : '');
    });
}
