// `warden approvals`, `warden approve ID`, `warden deny ID`.

import { Command } from 'commander';
import type { ApprovalView } from '../api/index.ts';
import { formatDiff } from '../policy/index.ts';
import { connect, printJson } from './connect.ts';

/** The path and query as printed (the daemon already cut a long query, naming any placeholder cut off). */
function target(a: ApprovalView): string {
  return a.query ? `${a.path}?${a.query}` : a.path;
}

function line(a: ApprovalView): string {
  const left = Math.max(0, Math.round((Date.parse(a.expiresAt) - Date.now()) / 1000));
  const head = `${a.id}  ${a.sandboxId}  ${a.method} ${a.scheme}://${a.host}:${a.port}${target(a)}  (${left}s left, ${a.waiting} waiting)\n    ${a.reason}`;
  if (!a.mcp) return head;
  const args =
    a.mcp.arguments === undefined ? '' : `\n    arguments (${a.mcp.argumentBytes} bytes): ${a.mcp.arguments}`;
  return `${head}\n    MCP ${a.mcp.method} "${a.mcp.name}" on ${a.mcp.server} (answer once: no --always)${args}`;
}

export function approvalsCommand(): Command {
  return new Command('approvals')
    .description('List the requests waiting for a human answer.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const list = await (await connect()).call('GET /v1/approvals');
      if (opts.json) return printJson(list);
      process.stdout.write(list.length === 0 ? 'nothing is waiting\n' : `${list.map(line).join('\n')}\n`);
    });
}

function answerCommand(name: 'approve' | 'deny'): Command {
  const decision = name === 'approve' ? 'allow' : 'deny';
  return new Command(name)
    .description(
      name === 'approve'
        ? 'Let a waiting request through (once, or --always: add a rule to the session layer).'
        : 'Refuse a waiting request (once, or --always: add a deny rule to the session layer).',
    )
    .argument('<id>', 'the approval id (see: warden approvals)')
    .option('--always', 'answer the same way for matching requests from now on')
    .option('--match <pattern>', "with --always: the rule's match instead of the suggested one")
    .option('--method <method...>', "with --always: the rule's methods")
    .option('--path <glob...>', "with --always: the rule's path globs")
    .option('--json', 'print JSON')
    .action(
      async (
        id: string,
        opts: { always?: boolean; match?: string; method?: string[]; path?: string[]; json?: boolean },
      ) => {
        const client = await connect();
        const rule = opts.match ? { match: opts.match, methods: opts.method, paths: opts.path } : undefined;
        const result = await client.call('POST /v1/approvals/:id', {
          params: { id },
          body: { decision, scope: opts.always ? 'always' : 'once', ...(rule ? { rule } : {}) },
        });
        if (opts.json) return printJson(result);
        const a = result.approval;
        process.stdout.write(
          `${decision === 'allow' ? 'allowed' : 'denied'} ${a.method} ${a.host}${target(a)} (${opts.always ? 'always' : 'once'})\n`,
        );
        if (result.diff)
          process.stdout.write(`session policy of ${a.sandboxId} changed:\n${formatDiff(result.diff)}\n`);
      },
    );
}

export const approveCommand = () => answerCommand('approve');
export const denyCommand = () => answerCommand('deny');
