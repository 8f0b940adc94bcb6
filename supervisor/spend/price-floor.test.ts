// The organisation's prices are a floor: a lower layer's cheaper entry (a model at $0, or a
// short prefix covering a family) cannot bring a model under what the organisation (or the
// table) charges, so its dollar limits hold; a dearer entry narrows and counts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerName } from '../api/index.ts';
import { Policy } from '../policy/index.ts';
import { chargedPrice, spendRulesOf } from './budgets.ts';
import { priceOf } from './prices.ts';

const layer = (name: LayerName, budgets: object) => ({
  layer: name,
  source: name,
  document: {
    apiVersion: 'warden.dev/v1' as const,
    kind: 'Policy' as const,
    metadata: { name },
    spec: { budgets } as never,
  },
});

test('a lower layer cannot price a model below the organisation or the table', () => {
  const rules = spendRulesOf(
    Policy.resolve([
      layer('project', {
        prices: [
          { model: 'claude', input: 0, output: 0 },
          { model: 'in-house', input: 1, output: 1 },
          { model: 'gpt-4o', input: 9, output: 90 },
        ],
      }),
      layer('organisation', {
        limits: [{ per: 'day', usd: 5 }],
        prices: [{ model: 'in-house', input: 4, output: 8, cacheRead: 0.4 }],
      }),
    ]),
  );
  const sonnet = chargedPrice('claude-sonnet-4-5-20250929', rules);
  const table = priceOf('claude-sonnet-4-5-20250929')!;
  assert.deepEqual(
    [sonnet?.input, sonnet?.output, sonnet?.cacheRead, sonnet?.cacheWrite],
    [table.input, table.output, table.cacheRead, table.cacheWrite],
    'the $0 "claude" entry is floored at the table',
  );
  const own = chargedPrice('in-house-7b', rules);
  assert.deepEqual([own?.input, own?.output, own?.cacheRead, own?.cacheWrite], [4, 8, 1, 4]);
  const dear = chargedPrice('gpt-4o-2024-08-06', rules);
  assert.deepEqual([dear?.input, dear?.output], [9, 90], 'a dearer price narrows: it counts');
  assert.equal(chargedPrice('unknown-model', rules), undefined);
});

test('without an organisation layer the most specific price counts as before', () => {
  const rules = spendRulesOf(
    Policy.resolve([layer('project', { prices: [{ model: 'claude', input: 0, output: 0 }] })]),
  );
  assert.equal(rules.floor, undefined);
  assert.equal(chargedPrice('claude-sonnet-4-5', rules)?.input, 0);
});
