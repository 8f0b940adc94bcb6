// `warden policy show` and `warden policy apply`: the resolved policy with each rule's
// source, and changing a running daemon's base or a sandbox's project layer (diff first).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { OrganisationView, ResolvedPolicyView } from '../api/index.ts';
import { formatDiff, formatPolicyError, loadPolicyFile, Policy, type PolicyLayer } from '../policy/index.ts';
import { connect, printJson } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';

export function formatResolved(view: ResolvedPolicyView): string {
  const lines = view.layers.map((l) => `layer ${l.layer.padEnd(7)} ${l.source} (${l.rules} rules)`);
  lines.push('');
  view.rules.forEach((r, i) => {
    const where = r.line ? `${r.source}:${r.line}` : r.source;
    const cond = [r.methods?.join(',') ?? '', r.paths?.join(' ') ?? ''].filter(Boolean).join(' ');
    lines.push(
      `${String(i + 1).padStart(3)}. ${r.action.padEnd(5)} ${r.match}${cond ? `  ${cond}` : ''}    [${r.layer} ${where}]`,
    );
  });
  lines.push(
    `default: ${view.defaultAction} (from ${view.defaultSource}); approvals time out after ${view.approvalTimeoutSeconds} s`,
  );
  if (view.organisation) lines.push('', ...formatOrganisation(view.organisation));
  return `${lines.join('\n')}\n`;
}

/** What the organisation fixed, where it came from, and the lower-layer parts it overrides. */
export function formatOrganisation(org: OrganisationView): string[] {
  const lines = [`organisation: ${org.source}`];
  if (org.origin) {
    const from = org.origin.kind === 'hub' ? 'pushed by the team hub' : 'managed file';
    const group = org.origin.group ? `, group ${org.origin.group}` : '';
    lines.push(`  ${from}${group}; ${org.origin.hash}; signed by ${org.origin.signedBy}`);
  }
  const fixed = [`${org.rules} rules (its deny rules always win; lower layers may only narrow)`];
  if (org.defaultAction) fixed.push(`default at most ${org.defaultAction}`);
  if (org.approvalTimeoutSeconds !== undefined)
    fixed.push(`approvals time out within ${org.approvalTimeoutSeconds} s`);
  lines.push(`  fixed: ${fixed.join('; ')}`);
  for (const s of org.settings ?? []) lines.push(`  fixed: ${s}`);
  for (const c of org.ignored) {
    lines.push(`  ignored: ${c.layer} ${c.source} ${c.path}: ${c.message}`);
  }
  return lines;
}

async function layer(file: string, name: 'base' | 'project'): Promise<PolicyLayer> {
  const r = await loadPolicyFile(path.resolve(file));
  if (!r.ok) {
    for (const e of r.errors) process.stderr.write(`${formatPolicyError(e)}\n`);
    throw new CliError(
      `${file} is not a valid policy`,
      r.errors.some((e) => e.line === 0) ? ExitCode.environment : ExitCode.failed,
    );
  }
  return { layer: name, source: path.resolve(file), document: r.document, lines: r.lines };
}

export function policyShowCommand(): Command {
  return new Command('show')
    .description('Print the resolved policy, most specific rule first, with the source of each rule.')
    .argument('[file]', 'a project policy file (offline); omit to ask the running daemon')
    .option('--base <file>', 'with FILE: a base policy layered under it')
    .option('--sandbox <id>', 'the policy of a running sandbox (base + preset + project + session)')
    .option('--json', 'print JSON')
    .action(async (file: string | undefined, opts: { base?: string; sandbox?: string; json?: boolean }) => {
      let view: ResolvedPolicyView;
      if (file) {
        const layers = [...(opts.base ? [await layer(opts.base, 'base')] : []), await layer(file, 'project')];
        view = Policy.resolve(layers).view();
      } else {
        const res = await (await connect()).call('GET /v1/policy', { query: { sandbox: opts.sandbox } });
        view = res.resolved;
      }
      if (opts.json) return printJson(view);
      process.stdout.write(formatResolved(view));
    });
}

export function policyApplyCommand(): Command {
  return new Command('apply')
    .description(
      "Apply a policy file to the running daemon: the base layer, or a sandbox's project layer. Invalid files change nothing.",
    )
    .argument('<file>', 'the policy file')
    .option('--sandbox <id>', "apply as this sandbox's project layer (default: the base layer)")
    .option('--dry-run', 'only print the diff')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { sandbox?: string; dryRun?: boolean; json?: boolean }) => {
      const source = path.resolve(file);
      let yaml: string;
      try {
        yaml = await readFile(source, 'utf8');
      } catch (error) {
        throw new CliError(
          `cannot read ${source}: ${(error as NodeJS.ErrnoException).code}`,
          ExitCode.environment,
        );
      }
      const result = await (await connect()).call('PUT /v1/policy', {
        body: {
          layer: opts.sandbox ? 'project' : 'base',
          ...(opts.sandbox ? { sandboxId: opts.sandbox } : {}),
          source,
          yaml,
          dryRun: opts.dryRun === true,
        },
      });
      if (opts.json) return printJson(result);
      process.stdout.write(
        `${formatDiff(result.diff)}${result.applied ? 'applied\n' : 'not applied (dry run)\n'}`,
      );
    });
}
