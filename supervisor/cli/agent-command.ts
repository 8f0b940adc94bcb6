// `warden agent add|ls|update|rm`: managed agents (Claude Code, Codex, any npm package),
// installed by the daemon in a sandbox through the governed proxy, pinned, and put on
// PATH of the sandboxes that name them (`warden run --agent NAME`, or a preset's agent).

import { Command } from 'commander';
import { installTitle, parseAgentSpec } from '../agents/catalog.ts';
import type { AddAgentResponse, AgentView } from '../api/index.ts';
import type { ApiClient } from '../client/api-client.ts';
import { connectOrStart, printJson } from './connect.ts';
import { followTask } from './task-progress.ts';

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

export function formatAgents(list: AgentView[]): string {
  if (list.length === 0) return 'no agents installed (add one with: warden agent add claude-code)\n';
  const rows = list.map((a) => [
    a.name,
    a.version,
    a.package,
    `${a.integrity.slice(0, 20)}…`,
    mib(a.sizeBytes),
    a.bins.join(','),
    a.installedAt.slice(0, 19).replace('T', ' '),
  ]);
  const head = ['NAME', 'VERSION', 'PACKAGE', 'INTEGRITY', 'SIZE', 'COMMANDS', 'INSTALLED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map(
      (r) =>
        `${r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('');
}

/**
 * Installs SPEC through the daemon, telling progress on stderr while npm runs in its
 * sandbox (first installs take minutes: a VM boots, npm downloads through the proxy).
 */
export async function addAgent(
  client: ApiClient,
  spec: string,
  o: { update?: boolean; say: (line: string) => void },
): Promise<AddAgentResponse> {
  const started = Date.now();
  o.say(
    `warden: installing the agent ${spec} in a sandbox, through the proxy (npm; the first time takes minutes)`,
  );
  // The daemon's task for this install says each step and what npm fetched; Ctrl-C cancels it.
  const parsed = parseAgentSpec(spec);
  const title = parsed ? installTitle(parsed) : undefined;
  const follow = followTask(client, { kind: 'agent.install', match: (t) => t.title === title, say: o.say });
  try {
    const out = await client.call('POST /v1/agents', {
      body: { spec, ...(o.update ? { update: true } : {}) },
      timeoutMs: 30 * 60_000,
    });
    const a = out.agent;
    o.say(
      out.reused
        ? `warden: ${a.name} ${a.version} is installed (${a.integrity.slice(0, 20)}…)`
        : `warden: ${a.name} ${a.version} installed in ${((Date.now() - started) / 1000).toFixed(1)} s, ${mib(a.sizeBytes)} (${a.integrity.slice(0, 20)}…)`,
    );
    return out;
  } finally {
    follow.stop();
  }
}

export function agentCommand(): Command {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const agent = new Command('agent').description(
    'Managed agents: npm packages installed once per version through the governed proxy (in a sandbox), ' +
      'shared read-only into sandboxes and put on their PATH.',
  );
  agent
    .command('add')
    .description('Install an agent (its newest version, or @VERSION) unless that version is installed.')
    .argument('<agent>', 'claude-code, codex, or an npm package: NAME[@VERSION]')
    .option('--json', 'print JSON')
    .action(async (spec: string, opts: { json?: boolean }) => {
      const out = await addAgent(await connectOrStart(undefined, say), spec, { say });
      if (opts.json) printJson(out);
    });
  agent
    .command('update')
    .description('Install the newest version of an agent (the older ones stay until: warden agent rm).')
    .argument('<agent>', 'claude-code, codex, or an npm package name')
    .option('--json', 'print JSON')
    .action(async (spec: string, opts: { json?: boolean }) => {
      const out = await addAgent(await connectOrStart(undefined, say), spec, { update: true, say });
      if (opts.json) printJson(out);
    });
  agent
    .command('ls')
    .description('List installed agents: name, version, package, integrity, size, commands.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connectOrStart(undefined, say)).call('GET /v1/agents');
      if (opts.json) return printJson(list);
      process.stdout.write(formatAgents(list));
    });
  agent
    .command('rm')
    .description('Remove every installed version of an agent.')
    .argument('<name>', 'the agent’s name (see: warden agent ls)')
    .action(async (name: string) => {
      const out = await (await connectOrStart(undefined, say)).call('DELETE /v1/agents/:name', {
        params: { name },
      });
      for (const p of out.removed) process.stdout.write(`removed ${p.name} ${p.version}\n`);
    });
  return agent;
}
