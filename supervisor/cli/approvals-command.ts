// `warden approvals [--state S]`, `warden approvals revoke ID`, `warden approve ID`, `warden deny ID`.

import { Command, Option } from 'commander';
import { APPROVAL_STATE_FILTERS, type ApprovalStateFilter } from '../api/approval-types.ts';
import type { ApprovalView } from '../api/index.ts';
import { formatDiff } from '../policy/index.ts';
import { connect, printJson } from './connect.ts';

/** The path and query as printed (the daemon already cut a long query, naming any placeholder cut off). */
function target(a: ApprovalView): string {
  return a.query ? `${a.path}?${a.query}` : a.path;
}

/** What became of a closed approval: who answered, from where, when; or why it closed. */
function closedLine(a: ApprovalView): string {
  if (a.state === 'answered' && a.answer) {
    const x = a.answer;
    const revoked = a.revoked ? `; revoked by ${a.revoked.by} (${a.revoked.client}) at ${a.revoked.at}` : '';
    const revocable = x.revocable && !a.revoked ? '; revocable' : '';
    return `${x.decision} (${x.scope}) by ${x.by} from ${x.client} at ${x.at}${x.reason ? `: ${x.reason}` : ''}${revoked}${revocable}`;
  }
  if (a.state === 'expired') return `expired at ${a.closedAt}: denied`;
  return `cancelled at ${a.closedAt}${a.cancelReason ? `: ${a.cancelReason}` : ''}`;
}

function line(a: ApprovalView): string {
  const request = `${a.id}  ${a.sandboxId}  ${a.method} ${a.scheme}://${a.host}:${a.port}${target(a)}`;
  if (a.state !== undefined && a.state !== 'pending' && a.state !== 'reviewing')
    return `${request}\n    ${closedLine(a)}`;
  const left = Math.max(0, Math.round((Date.parse(a.expiresAt) - Date.now()) / 1000));
  const how = a.state === 'reviewing' ? 'with the reviewer hook' : `${a.waiting} waiting`;
  const head = `${request}  (${left}s left, ${how})\n    ${a.reason}`;
  if (!a.mcp) return head;
  const args =
    a.mcp.arguments === undefined ? '' : `\n    arguments (${a.mcp.argumentBytes} bytes): ${a.mcp.arguments}`;
  return `${head}\n    MCP ${a.mcp.method} "${a.mcp.name}" on ${a.mcp.server} (answer once: no --always)${args}`;
}

export function approvalsCommand(): Command {
  const command = new Command('approvals')
    .description('List the requests waiting for a human answer, or (--state) what was decided.')
    .addOption(
      new Option(
        '--state <state>',
        'which approvals: pending (default), answered, expired, cancelled, all',
      ).choices(APPROVAL_STATE_FILTERS),
    )
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; state?: ApprovalStateFilter }) => {
      const list = await (await connect()).call('GET /v1/approvals', { query: { state: opts.state } });
      if (opts.json) return printJson(list);
      const none =
        opts.state && opts.state !== 'pending' ? 'no approvals in that state\n' : 'nothing is waiting\n';
      process.stdout.write(list.length === 0 ? none : `${list.map(line).join('\n')}\n`);
    });
  command.addCommand(revokeCommand());
  return command;
}

function revokeCommand(): Command {
  return new Command('revoke')
    .description(
      'Take back an "always" answer: the session rule it wrote is removed; matching requests ask again.',
    )
    .argument('<id>', 'the approval id (see: warden approvals --state answered)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const a = await (await connect()).call('POST /v1/approvals/:id/revoke', { params: { id } });
      if (opts.json) return printJson(a);
      process.stdout.write(
        a.revoked?.ruleRemoved
          ? `revoked: ${a.method} ${a.host}${target(a)} asks again in ${a.sandboxId}\n`
          : `revoked, but its rule was already gone from ${a.sandboxId}'s session layer: nothing changed\n`,
      );
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
