// A replay's result as the terminal shows it: "Recorded requests decided differently",
// grouped by sandbox, one line per request shape with its count, last seen, and both
// outcomes with the rule that decided each.

import type { RuleRef, Scheme } from '../api/policy-types.ts';
import type { ReplayDifference, ReplayOutcome, ReplayResult } from '../api/replay-types.ts';
import { requestLine } from '../api/request-line.ts';

export const REPLAY_HEADING = 'Recorded requests decided differently';

function ruleName(rule: RuleRef | null): string {
  if (!rule) return 'default';
  const where = rule.line !== undefined ? `${rule.source}:${rule.line}` : rule.source;
  return `${rule.layer} rule ${rule.index + 1}, ${where}`;
}

function outcome(o: ReplayOutcome): string {
  return o.action === 'tunnel' ? 'decided inside the tunnel' : `${o.action} (${ruleName(o.rule)})`;
}

function shape(d: ReplayDifference): string {
  if (d.method === 'CONNECT') return `CONNECT ${d.host}:${d.port}`;
  return requestLine({ ...d, scheme: d.scheme as Scheme });
}

export function formatReplay(result: ReplayResult): string {
  const lines = [`${REPLAY_HEADING}:`];
  const from = result.since !== undefined ? ` since ${new Date(result.since).toISOString()}` : '';
  const scope = result.sandbox ? ` in sandbox ${result.sandbox}` : '';
  lines.push(
    `  ${result.requestsDiffering} of ${result.scanned} recorded requests${from}${scope} (${result.differences.length} request shapes)`,
  );
  if (result.differences.length === 0) lines.push('  none: every recorded request is decided the same way');
  let sandbox: string | null | undefined;
  for (const d of result.differences) {
    if (d.sandboxId !== sandbox) {
      sandbox = d.sandboxId;
      lines.push('', `  sandbox ${sandbox ?? '(none)'}`);
    }
    lines.push(
      `    ${shape(d)}  ×${d.count}, last seen ${d.lastSeen}: ${outcome(d.before)} → ${outcome(d.after)}`,
    );
  }
  if (result.truncated) lines.push('', '  (more request shapes differ than are listed)');
  if (result.skipped > 0) lines.push(`  (${result.skipped} records in an old format were not read)`);
  return `${lines.join('\n')}\n`;
}
