import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RuleSpec } from '../api/policy-schema.ts';
import type { LayerName } from '../api/policy-types.ts';
import { diffPolicies, formatDiff } from './diff.ts';
import { emptyPolicy } from './documents.ts';
import { Policy } from './policy.ts';

function policy(
  rules: RuleSpec[],
  options: {
    default?: 'allow' | 'deny' | 'ask';
    timeout?: number;
    base?: RuleSpec[];
    layer?: LayerName;
  } = {},
): Policy {
  const doc = emptyPolicy('p');
  doc.spec.network = { rules, ...(options.default ? { default: options.default } : {}) };
  if (options.timeout) doc.spec.approvals = { timeoutSeconds: options.timeout };
  const layers = [{ layer: options.layer ?? ('project' as LayerName), source: 'p.yaml', document: doc }];
  if (options.base) {
    const base = emptyPolicy('base');
    base.spec.network = { rules: options.base };
    layers.push({ layer: 'base', source: 'base.yaml', document: base });
  }
  return Policy.resolve(layers);
}

describe('diffPolicies', () => {
  const rules: RuleSpec[] = [
    { match: 'api.github.com', methods: ['GET'], paths: ['/repos/**'], action: 'allow' },
    { match: '*.npmjs.org', action: 'allow' },
    { match: '10.0.0.0/8:5432', action: 'allow' },
  ];

  test('identical policies: empty', () => {
    const diff = diffPolicies(policy(rules), policy(structuredClone(rules)));
    assert.equal(diff.empty, true);
    assert.deepEqual(diff.added, []);
    assert.deepEqual(diff.removed, []);
    assert.deepEqual(diff.changed, []);
    assert.deepEqual(diff.reordered, []);
    assert.deepEqual(diff.outcomeChanges, []);
    assert.equal(formatDiff(diff), 'no differences\n');
  });

  test('identity ignores method case and order', () => {
    const a = policy([{ match: 'a.com', methods: ['GET', 'POST'], action: 'allow' }]);
    const b = policy([{ match: 'a.com', methods: ['post', 'get'], action: 'allow' }]);
    assert.equal(diffPolicies(a, b).empty, true);
  });

  test('added and removed rules, with outcome changes', () => {
    const after = [...rules.slice(0, 2), { match: 'pypi.org', action: 'allow' } as RuleSpec];
    const diff = diffPolicies(policy(rules), policy(after));
    assert.deepEqual(
      diff.added.map((r) => [r.match, r.index]),
      [['pypi.org', 2]],
    );
    assert.deepEqual(
      diff.removed.map((r) => [r.match, r.index]),
      [['10.0.0.0/8:5432', 2]],
    );
    assert.deepEqual(
      diff.outcomeChanges.map((c) => [
        `${c.request.method} ${c.request.host}:${c.request.port}${c.request.path}`,
        c.before.action,
        c.after.action,
      ]),
      [
        ['GET 10.0.0.1:5432/', 'allow', 'ask'],
        ['GET pypi.org:443/', 'ask', 'allow'],
      ],
    );
    assert.equal(diff.empty, false);
  });

  test('an allow that became deny shows up as an outcome change and a changed rule', () => {
    const after = structuredClone(rules);
    after[0]!.action = 'deny';
    after[0]!.description = 'read-only freeze';
    const diff = diffPolicies(policy(rules), policy(after));
    assert.equal(diff.changed.length, 1);
    assert.deepEqual(diff.changed[0]?.fields, ['action', 'description']);
    assert.equal(diff.changed[0]?.before.action, 'allow');
    assert.equal(diff.changed[0]?.after.action, 'deny');
    assert.deepEqual(
      diff.outcomeChanges.map((c) => [
        c.request.method,
        c.request.host,
        c.request.path,
        c.before.action,
        c.after.action,
      ]),
      [['GET', 'api.github.com', '/repos/x', 'allow', 'deny']],
    );
    const text = formatDiff(diff);
    assert.match(
      text,
      /^~ project policy p\.yaml rule 1: "api\.github\.com" GET \/repos\/\*\* deny \(action allow → deny; description \(none\) → read-only freeze\)$/m,
    );
    assert.match(
      text,
      /^outcome changes:\n {2}GET https:\/\/api\.github\.com\/repos\/x: allow \(project policy p\.yaml rule 1\) → deny \(project policy p\.yaml rule 1\)$/m,
    );
  });

  test('tls changes are listed', () => {
    const diff = diffPolicies(
      policy([{ match: 'a.com', action: 'allow' }]),
      policy([{ match: 'a.com', action: 'allow', tls: 'passthrough' }]),
    );
    assert.deepEqual(diff.changed[0]?.fields, ['tls']);
    assert.deepEqual(diff.outcomeChanges, []);
    assert.equal(diff.empty, false);
    assert.match(formatDiff(diff), /\(tls \(none\) → passthrough\)/);
  });

  test('reordered rules, and the outcome a reorder changes', () => {
    const before = [
      { match: 'a.com', paths: ['/admin/**'], action: 'deny' },
      { match: 'a.com', action: 'allow' },
      { match: 'b.com', action: 'allow' },
    ] as RuleSpec[];
    const after = [before[1]!, before[0]!, before[2]!];
    const diff = diffPolicies(policy(before), policy(after));
    assert.deepEqual(diff.added, []);
    assert.deepEqual(diff.removed, []);
    assert.equal(diff.reordered.length, 1);
    const move = diff.reordered[0]!;
    assert.equal(move.beforeIndex + move.afterIndex, 1);
    assert.deepEqual(
      diff.outcomeChanges.map((c) => [c.request.path, c.before.action, c.after.action]),
      [['/admin/x', 'deny', 'allow']],
    );
    assert.match(formatDiff(diff), /moved from position \d to \d/);
  });

  test('default and timeout changes, with the default outcome', () => {
    const diff = diffPolicies(policy(rules), policy(rules, { default: 'deny', timeout: 30 }));
    assert.deepEqual(diff.defaultChanged, { before: 'ask', after: 'deny' });
    assert.deepEqual(diff.timeoutChanged, { before: 120, after: 30 });
    assert.ok(
      diff.outcomeChanges.some(
        (c) => c.request.host === 'unlisted-host.example' && c.after.action === 'deny',
      ),
    );
    assert.ok(diff.outcomeChanges.some((c) => c.request.path === '/warden-diff/unmatched-path'));
    const text = formatDiff(diff);
    assert.match(text, /^~ default: ask → deny$/m);
    assert.match(text, /^~ approval timeout: 120s → 30s$/m);
  });

  test('same rule in another layer is a removal and an addition; concrete hosts per pattern form', () => {
    const diff = diffPolicies(
      policy([], { base: [{ match: '**.corp.example', action: 'allow' }] }),
      policy([
        { match: '**.corp.example', action: 'allow' },
        { match: 'fd00::/8', action: 'allow' },
      ]),
    );
    assert.deepEqual(
      diff.removed.map((r) => r.layer),
      ['base'],
    );
    assert.deepEqual(
      diff.added.map((r) => [r.layer, r.match]),
      [
        ['project', '**.corp.example'],
        ['project', 'fd00::/8'],
      ],
    );
    assert.deepEqual(
      diff.outcomeChanges.map((c) => c.request.host),
      ['fd00::1'],
    );
    const text = formatDiff(diff);
    assert.match(text, /^- base policy base\.yaml rule 1: "\*\*\.corp\.example" allow$/m);
    assert.match(text, /^\+ project policy p\.yaml rule 2: "fd00::\/8" allow$/m);
    assert.match(
      text,
      /GET https:\/\/\[fd00::1\]\/: ask \(default\) → allow \(project policy p\.yaml rule 2\)/,
    );
  });
});
