import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSpend } from './spend-command.ts';

test('warden spend prints a row per sandbox and model, and the day and month totals', () => {
  const row = {
    api: 'anthropic.messages' as const,
    model: 'claude-sonnet-4-5',
    requests: 3,
    inputTokens: 100,
    outputTokens: 40,
    cacheReadTokens: 5,
    cacheWriteTokens: 1,
    costUsd: 0.0012,
    unpriced: 0,
  };
  const view = {
    month: '2026-12',
    day: '2026-12-07',
    sandboxes: [
      {
        sandboxId: 'sb-1',
        today: { tokens: 146, costUsd: 0.0012 },
        month: { tokens: 146, costUsd: 0.0012 },
        models: [row, { ...row, model: 'mystery', unpriced: 2, costUsd: 0 }],
        hours: [],
        limits: [],
      },
    ],
  };
  const out = formatSpend(view);
  assert.match(out, /^SANDBOX +MODEL +REQUESTS/);
  assert.match(out, /sb-1 +claude-sonnet-4-5 +3 +100 +6 +40 +\$0\.0012/);
  assert.match(out, /mystery .*\(2 unpriced\)/);
  assert.match(out, /sb-1: today 146 tokens \$0\.0012, 2026-12 146 tokens/);
  assert.equal(formatSpend(view, 'other'), 'no model spend recorded in 2026-12\n');
});
