// `warden spend [--sandbox ID] [--json]`: what each sandbox spent on models this UTC day and
// month, per model (tokens read at the proxy, priced from the table or the policy).

import { Command } from 'commander';
import type { SpendView } from '../api/spend.ts';
import { connectOrStart, printJson } from './connect.ts';

const usd = (n: number) => `$${n.toFixed(4)}`;

export function formatSpend(view: SpendView, sandboxId?: string): string {
  const list = view.sandboxes.filter((s) => !sandboxId || s.sandboxId === sandboxId);
  if (list.length === 0) return `no model spend recorded in ${view.month}\n`;
  const head = ['SANDBOX', 'MODEL', 'REQUESTS', 'INPUT', 'CACHED', 'OUTPUT', 'COST'];
  const rows: string[][] = [];
  for (const s of list) {
    for (const m of s.models) {
      const cost = m.unpriced > 0 ? `${usd(m.costUsd)} (${m.unpriced} unpriced)` : usd(m.costUsd);
      rows.push([
        s.sandboxId,
        m.model,
        String(m.requests),
        String(m.inputTokens),
        String(m.cacheReadTokens + m.cacheWriteTokens),
        String(m.outputTokens),
        cost,
      ]);
    }
  }
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const table = [head, ...rows].map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  const totals = list.map(
    (s) =>
      `${s.sandboxId}: today ${s.today.tokens} tokens ${usd(s.today.costUsd)}, ${view.month} ${s.month.tokens} tokens ${usd(s.month.costUsd)}`,
  );
  return `${[...table, '', ...totals].join('\n')}\n`;
}

export function spendCommand(): Command {
  const say = (line: string) => process.stderr.write(`${line}\n`);
  return new Command('spend')
    .description(
      'Model spend per sandbox and per model this UTC month, read from model API answers at the proxy.',
    )
    .option('--sandbox <id>', 'only this sandbox')
    .option('--json', 'print JSON')
    .action(async (opts: { sandbox?: string; json?: boolean }) => {
      const view = await (await connectOrStart(undefined, say)).call('GET /v1/spend');
      if (opts.json) {
        return printJson(
          opts.sandbox
            ? { ...view, sandboxes: view.sandboxes.filter((s) => s.sandboxId === opts.sandbox) }
            : view,
        );
      }
      process.stdout.write(formatSpend(view, opts.sandbox));
    });
}
