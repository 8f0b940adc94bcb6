// `warden policy`: check policy files, explain a decision, diff two policies, print the schema.
// Runs entirely locally (no daemon): the same policy engine the daemon uses.

import path from 'node:path';
import { Command } from 'commander';
import type { LayerName, PolicyErrorView, RequestFacts, Scheme } from '../api/policy-types.ts';
import {
  diffPolicies,
  formatDiff,
  formatPolicyError,
  loadPolicyFile,
  Policy,
  type PolicyLayer,
  policyJsonSchemaText,
} from '../policy/index.ts';
import { formatReplay } from '../replay/index.ts';
import { connect } from './connect.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { policyApplyCommand, policyShowCommand } from './policy-live-commands.ts';
import { checkSince, replayAgainstAudit } from './policy-replay.ts';

const SCHEMES: readonly Scheme[] = ['http', 'https', 'ws', 'wss'];
const DEFAULT_PORTS: Record<Scheme, number> = { http: 80, https: 443, ws: 80, wss: 443 };

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function printErrors(errors: PolicyErrorView[]): void {
  for (const error of errors) process.stderr.write(`${formatPolicyError(error)}\n`);
}

/** An unreadable file has line 0 (see loadPolicyFile). */
function unreadable(errors: PolicyErrorView[]): boolean {
  return errors.some((e) => e.line === 0);
}

/** Load one layer or end the command: exit 4 when unreadable, 1 when invalid. */
async function loadLayer(file: string, layer: LayerName): Promise<PolicyLayer> {
  const result = await loadPolicyFile(file);
  if (result.ok) return { layer, source: file, document: result.document, lines: result.lines };
  printErrors(result.errors);
  if (unreadable(result.errors)) throw new CliError(`cannot read ${file}`, ExitCode.environment);
  throw new CliError(
    `${file} is not a valid policy (${result.errors.length} error(s) above)`,
    ExitCode.failed,
  );
}

async function loadPolicy(file: string, base: string | undefined): Promise<Policy> {
  const layers = [await loadLayer(file, 'project')];
  if (base !== undefined) layers.push(await loadLayer(base, 'base'));
  return Policy.resolve(layers);
}

function requestFacts(method: string, url: string): RequestFacts {
  if (!/^[A-Za-z]+$/.test(method)) {
    throw new CliError(
      `method "${method}" is not an HTTP method name`,
      ExitCode.usage,
      'for example: GET, POST',
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(
      `"${url}" is not a URL`,
      ExitCode.usage,
      'for example: https://api.github.com/repos/acme/x',
    );
  }
  const scheme = parsed.protocol.slice(0, -1) as Scheme;
  if (!SCHEMES.includes(scheme)) {
    throw new CliError(
      `unsupported scheme "${parsed.protocol}" (expected http, https, ws or wss)`,
      ExitCode.usage,
    );
  }
  return {
    scheme,
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : DEFAULT_PORTS[scheme],
    method: method.toUpperCase(),
    path: parsed.pathname,
  };
}

function checkCommand(): Command {
  return new Command('check')
    .description('Validate policy files; print every error as file:line:col: path: message.')
    .argument('<file...>', 'policy files (YAML)')
    .option('--json', 'print a JSON report on stdout')
    .addHelpText('after', '\nExit codes: 0 all valid, 1 some file is not valid, 4 some file cannot be read.')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const report: Array<{ file: string; valid: boolean; errors: PolicyErrorView[] }> = [];
      for (const file of files) {
        const result = await loadPolicyFile(file);
        report.push({ file, valid: result.ok, errors: result.ok ? [] : result.errors });
      }
      const valid = report.every((r) => r.valid);
      if (opts.json) printJson({ valid, files: report });
      else {
        for (const r of report) {
          if (r.valid) process.stdout.write(`${r.file}: valid\n`);
          else printErrors(r.errors);
        }
      }
      if (!valid) {
        const cannotRead = report.some((r) => unreadable(r.errors));
        process.exitCode = cannotRead ? ExitCode.environment : ExitCode.failed;
      }
    });
}

function explainCommand(): Command {
  return new Command('explain')
    .description('Explain which rule decides a request, and why each rule before it did not match.')
    .argument('<file>', 'project policy file')
    .argument('<method>', 'HTTP method, e.g. GET')
    .argument('<url>', 'request URL, e.g. https://api.github.com/repos/acme/x')
    .option('--base <file>', 'base policy layered under the project policy')
    .option('--json', 'print the decision and trace as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 allow, 1 deny (or the policy is not valid), 0 ask (the outcome "ask" is printed:\n' +
        'the request would wait for a human), 2 bad method or URL, 4 a file cannot be read.',
    )
    .action(async (file: string, method: string, url: string, opts: { base?: string; json?: boolean }) => {
      const facts = requestFacts(method, url);
      const policy = await loadPolicy(file, opts.base);
      const { decision, trace } = policy.explain(facts);
      if (opts.json) printJson({ request: facts, decision, trace });
      else {
        const lines = [`${facts.method} ${url}`];
        for (const step of trace) {
          const where =
            step.rule.line !== undefined ? `${step.rule.source}:${step.rule.line}` : step.rule.source;
          lines.push(
            `  ${step.matched ? 'match' : 'skip '}  ${step.rule.layer} rule ${step.rule.index + 1} (${where}) ${JSON.stringify(step.rule.match)}: ${step.why}`,
          );
        }
        if (trace.length === 0 || trace.at(-1)?.matched === false) lines.push('  no rule matches');
        lines.push(`outcome: ${decision.action}`, `reason: ${decision.reason}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      process.exitCode = decision.action === 'deny' ? ExitCode.failed : ExitCode.ok;
    });
}

interface DiffOptions {
  base?: string;
  json?: boolean;
  againstAudit?: boolean;
  since?: string;
  sandbox?: string;
}

function diffCommand(): Command {
  return new Command('diff')
    .description(
      'Semantic diff of two policies: rules added, removed, changed, moved, and requests whose outcome changes.',
    )
    .argument('<before>', 'policy file before')
    .argument('<after>', 'policy file after')
    .option('--base <file>', 'base policy layered under both')
    .option('--against-audit', "also replay the change over the requests the daemon's audit trail recorded")
    .option(
      '--since <time>',
      'with --against-audit: only requests from this time (ISO-8601, or 30m, 1h, 7d ago)',
    )
    .option('--sandbox <id>', "with --against-audit: only this sandbox's requests")
    .option('--json', 'print the diff as JSON ({ replay, diff } with --against-audit)')
    .addHelpText(
      'after',
      '\nExit codes (like diff): 0 no differences, 1 differences, 2 bad usage, 4 a file cannot be read.\n' +
        'With --against-audit, recorded requests decided differently are printed first, grouped by sandbox,\n' +
        'then the examples made from the rules. Ctrl-C cancels the replay.',
    )
    .action(async (before: string, after: string, opts: DiffOptions) => {
      if (!opts.againstAudit && (opts.since !== undefined || opts.sandbox !== undefined)) {
        throw new CliError('--since and --sandbox go with --against-audit', ExitCode.usage);
      }
      if (opts.againstAudit) checkSince(opts.since);
      const diff = diffPolicies(await loadPolicy(before, opts.base), await loadPolicy(after, opts.base));
      const replay = opts.againstAudit
        ? await replayAgainstAudit(await connect(), {
            before: path.resolve(before),
            after: path.resolve(after),
            ...(opts.base ? { base: path.resolve(opts.base) } : {}),
            ...(opts.since ? { since: opts.since } : {}),
            ...(opts.sandbox ? { sandbox: opts.sandbox } : {}),
            say: (line) => process.stderr.write(`${line}\n`),
          })
        : undefined;
      if (opts.json) printJson(replay ? { replay, diff } : diff);
      else if (replay) {
        process.stdout.write(`${formatReplay(replay)}\nExamples made from the rules:\n${formatDiff(diff)}`);
      } else process.stdout.write(formatDiff(diff));
      const differs = !diff.empty || (replay !== undefined && replay.differences.length > 0);
      process.exitCode = differs ? ExitCode.failed : ExitCode.ok;
    });
}

function schemaCommand(): Command {
  return new Command('schema')
    .description('Print the JSON Schema of policy documents (for editors).')
    .action(() => {
      process.stdout.write(policyJsonSchemaText());
    });
}

export function policyCommand(): Command {
  const policy = new Command('policy')
    .description('Check, explain, diff, show and apply policies; print the policy JSON Schema.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const sub of [
    checkCommand(),
    explainCommand(),
    diffCommand(),
    policyShowCommand(),
    policyApplyCommand(),
    schemaCommand(),
  ]) {
    // addCommand does not copy settings: parse errors must reach runCli, not process.exit.
    sub.copyInheritedSettings(policy);
    policy.addCommand(sub);
  }
  return policy;
}
