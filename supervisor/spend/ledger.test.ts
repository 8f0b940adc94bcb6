import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RequestUsage } from '../api/spend.ts';
import { Policy } from '../policy/index.ts';
import { limitReached, spendRulesOf } from './budgets.ts';
import { SpendLedger } from './ledger.ts';
import { costOf, priceOf } from './prices.ts';

const use = (model: string, tokens: number, costUsd: number | null): RequestUsage => ({
  api: 'anthropic.messages',
  model,
  inputTokens: tokens,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd,
});

test('the ledger sums per UTC day and month, per model, and drops months before the last', () => {
  const l = new SpendLedger();
  l.add('sb', new Date('2026-11-30T23:59:00Z'), use('a', 10, 0.1));
  l.add('sb', new Date('2026-12-01T00:01:00Z'), use('a', 20, 0.2));
  l.add('sb', new Date('2026-12-01T10:00:00Z'), use('b', 5, null));
  const now = new Date('2026-12-01T12:00:00Z');
  assert.deepEqual(l.totals('sb', 'day', now), { tokens: 25, costUsd: 0.2 });
  assert.deepEqual(l.totals('sb', 'month', now), { tokens: 25, costUsd: 0.2 });
  assert.deepEqual(l.totals('other', 'month', now), { tokens: 0, costUsd: 0 });
  const view = l.view(now);
  assert.equal(view.sandboxes[0]?.models.length, 2);
  assert.equal(view.sandboxes[0]?.models.find((m) => m.model === 'b')?.unpriced, 1);
  l.add('sb', new Date('2027-02-01T00:00:00Z'), use('a', 1, 0));
  assert.equal(l.totals('sb', 'month', new Date('2026-11-30T12:00:00Z')).tokens, 0, 'November was dropped');
});

test('prices: the longest prefix wins, the policy before the table; cost in dollars', () => {
  assert.equal(priceOf('claude-sonnet-4-5-20250929')?.model, 'claude-sonnet-4-5');
  assert.equal(priceOf('gpt-4o-mini-2024-07-18')?.model, 'gpt-4o-mini');
  assert.equal(priceOf('unknown-model'), undefined);
  const mine = { model: 'claude', input: 1, output: 1, cacheRead: 1, cacheWrite: 1 };
  assert.equal(priceOf('claude-sonnet-4-5', [mine])?.model, 'claude');
  const usage = {
    model: 'x',
    inputTokens: 1_000_000,
    outputTokens: 1000,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
  assert.equal(costOf(usage, priceOf('claude-sonnet-4-5')), 3.015);
  assert.equal(costOf(usage, undefined), null);
});

test('budgets: every layer’s limits hold; the first reached says which and how much', () => {
  const doc = (budgets: unknown) => ({
    apiVersion: 'warden.dev/v1' as const,
    kind: 'Policy' as const,
    metadata: { name: 't' },
    spec: { budgets } as never,
  });
  const policy = Policy.resolve([
    { layer: 'base', source: 'b', document: doc({ limits: [{ per: 'month', usd: 1 }], hosts: ['GW.test'] }) },
    {
      layer: 'project',
      source: 'p',
      document: doc({ limits: [{ per: 'day', tokens: 100 }], prices: [{ model: 'm', input: 2, output: 3 }] }),
    },
  ]);
  const rules = spendRulesOf(policy);
  assert.deepEqual([...rules.hosts], ['gw.test']);
  assert.equal(rules.limits.length, 2);
  assert.deepEqual(rules.prices[0], { model: 'm', input: 2, output: 3, cacheRead: 2, cacheWrite: 2 });
  const l = new SpendLedger();
  const now = new Date('2026-12-07T10:00:00Z');
  assert.equal(limitReached(l, 'sb', rules.limits, now), undefined);
  l.add('sb', now, use('m', 99, 0.5));
  assert.equal(limitReached(l, 'sb', rules.limits, now), undefined);
  l.add('sb', now, use('m', 1, 0.1));
  assert.match(
    limitReached(l, 'sb', rules.limits, now) ?? '',
    /100 tokens per day is used up \(100 tokens today/,
  );
  const tomorrow = new Date('2026-12-08T10:00:00Z');
  assert.equal(limitReached(l, 'sb', rules.limits, tomorrow), undefined);
  l.add('sb', tomorrow, use('m', 1, 0.5));
  assert.match(limitReached(l, 'sb', rules.limits, tomorrow) ?? '', /\$1 per month is used up/);
});

test('the view charts the last 48 hours per model and shows each limit against its period', () => {
  const l = new SpendLedger();
  const now = new Date('2026-12-07T10:30:00Z');
  l.add('sb', new Date('2026-12-05T09:00:00Z'), use('a', 1, 0.1));
  l.add('sb', new Date('2026-12-07T09:10:00Z'), use('a', 10, 0.1));
  l.add('sb', new Date('2026-12-07T09:50:00Z'), use('a', 5, 0.1));
  l.add('sb', new Date('2026-12-07T10:00:00Z'), use('b', 7, null));
  const view = l.view(now, (id) => (id === 'sb' ? [{ per: 'day', tokens: 20, action: 'ask' }] : []), [
    'idle',
  ]);
  const sb = view.sandboxes.find((s) => s.sandboxId === 'sb');
  assert.deepEqual(sb?.hours, [
    { hour: Date.parse('2026-12-07T09:00:00Z'), model: 'a', tokens: 15, costUsd: 0.2 },
    { hour: Date.parse('2026-12-07T10:00:00Z'), model: 'b', tokens: 7, costUsd: 0 },
  ]);
  assert.deepEqual(sb?.limits, [
    { per: 'day', limitTokens: 20, action: 'ask', spent: { tokens: 22, costUsd: 0.2 } },
  ]);
  const idle = view.sandboxes.find((s) => s.sandboxId === 'idle');
  assert.deepEqual(idle?.hours, [], 'a sandbox with limits and no spend is shown');
});
