import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { PolicyErrorView } from '../api/policy-types.ts';
import { formatPolicyError, loadPolicyFile, parsePolicy, stringifyPolicy } from './parse.ts';

const HEAD = ['apiVersion: warden.dev/v1', 'kind: Policy', 'metadata:', '  name: demo'];

function errorsOf(text: string): PolicyErrorView[] {
  const result = parsePolicy(text, 'p.yaml');
  assert.ok(!result.ok, 'expected the document to be invalid');
  return result.errors;
}

function brief(errors: PolicyErrorView[]): string[] {
  return errors.map((e) => `${e.line}:${e.column} ${e.path}`);
}

describe('parsePolicy', () => {
  test('a valid document, with the line of each rule', () => {
    const text = [
      ...HEAD,
      'spec:',
      '  network:',
      '    default: deny',
      '    rules:',
      '      # GitHub API, read-only',
      '      - match: api.github.com',
      '        methods: [GET]',
      '        action: allow',
      '',
      '      - {match: "*.npmjs.org", action: allow, tls: passthrough}',
      '  approvals:',
      '    timeoutSeconds: 300',
    ].join('\n');
    const result = parsePolicy(text, 'p.yaml');
    assert.ok(result.ok);
    assert.deepEqual(result.lines, [10, 14]);
    assert.equal(result.document.spec.network?.default, 'deny');
    assert.deepEqual(result.document.spec.network?.rules?.[1], {
      match: '*.npmjs.org',
      action: 'allow',
      tls: 'passthrough',
    });
    assert.equal(result.document.spec.approvals?.timeoutSeconds, 300);
  });

  test('a file with several different errors reports all of them, in order, with positions', () => {
    const text = [
      'apiVersion: warden.dev/v2', // 1
      'kind: Policy', // 2
      'metadata:', // 3
      '  name: demo', // 4
      '  colour: blue', // 5 unknown field
      'spec:', // 6
      '  network:', // 7
      '    default: maybe', // 8 bad enum
      '    rules:', // 9
      '      - match: api.github.com', // 10
      '        methods: GET', // 11 wrong type
      '        action: allow', // 12
      '      - match: foo*.com', // 13 bad pattern + missing action
      '        actoin: allow', // 14 unknown field
      '      - match: "*.x.com"', // 15
      '        action: allow', // 16
      '        action: deny', // 17 duplicate key
      '      - match: x.com', // 18
      '        paths: [/a/../b, repos]', // 19 bad glob, not a path
      '        action: allow', // 20
      '  approvals:', // 21
      '    timeoutSeconds: 0', // 22 below minimum
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(brief(errors), [
      '1:13 apiVersion',
      '5:3 metadata.colour',
      '8:14 spec.network.default',
      '11:18 spec.network.rules[0].methods',
      '13:9 spec.network.rules[1]',
      '13:16 spec.network.rules[1].match',
      '14:9 spec.network.rules[1].actoin',
      '17:9 spec.network.rules[2].action',
      '19:17 spec.network.rules[3].paths[0]',
      '19:26 spec.network.rules[3].paths[1]',
      '22:21 spec.approvals.timeoutSeconds',
    ]);
    const messages = errors.map((e) => e.message);
    assert.equal(messages[0], 'expected "warden.dev/v1", got the string "warden.dev/v2"');
    assert.equal(messages[1], 'unknown field "colour"; expected one of name, description');
    assert.equal(messages[2], 'expected one of allow, deny, ask, got the string "maybe"');
    assert.equal(messages[3], 'expected a list of strings, got the string "GET"');
    assert.equal(messages[4], 'missing field "action" (one of allow, deny, ask)');
    assert.match(messages[5] ?? '', /^"foo\*\.com": "\*" must be a whole label/);
    assert.equal(
      messages[6],
      'unknown field "actoin"; expected one of match, methods, paths, action, approver, description, tls, upgrades',
    );
    assert.equal(messages[7], 'duplicate key "action"; each field may appear only once in a mapping');
    assert.match(messages[8] ?? '', /"\.\." segment/);
    assert.equal(messages[9], 'expected a path starting with "/", got the string "repos"');
    assert.equal(messages[10], 'must be at least 1, got the number 0');
    assert.ok(errors.every((e) => e.source === 'p.yaml'));
  });

  test('unknown fields at every level are reported at the key', () => {
    const text = [
      ...HEAD,
      'extra: 1', // 5
      'spec:', // 6
      '  networks: {}', // 7
      '  network:', // 8
      '    rule: []', // 9
      '    rules:', // 10
      '      - match: a.com', // 11
      '        action: allow', // 12
      '        Action: deny', // 13
      '  approvals:', // 14
      '    timeout: 5', // 15
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(brief(errors), [
      '5:1 extra',
      '7:3 spec.networks',
      '9:5 spec.network.rule',
      '13:9 spec.network.rules[0].Action',
      '15:5 spec.approvals.timeout',
    ]);
    assert.equal(
      errors[0]?.message,
      'unknown field "extra"; expected one of apiVersion, kind, metadata, spec',
    );
    assert.equal(
      errors[1]?.message,
      'unknown field "networks"; expected one of network, mcp, packages, approvals, budgets, redact',
    );
    assert.equal(errors[2]?.message, 'unknown field "rule"; expected one of default, rules, upstreams');
    assert.equal(errors[4]?.message, 'unknown field "timeout"; expected one of timeoutSeconds, reviewer');
  });

  test('wrong types say what was expected and what was found', () => {
    const text = [
      ...HEAD,
      'spec:', // 5
      '  network:', // 6
      '    rules:', // 7
      '      - match: 42', // 8
      '        action: [allow]', // 9
      '        paths: /repos/**', // 10
      '      - "just a string"', // 11
      '  approvals:', // 12
      '    timeoutSeconds: "soon"', // 13
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(
      errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`),
      [
        '8:16 spec.network.rules[0].match: expected a string, got the number 42',
        '9:17 spec.network.rules[0].action: expected one of allow, deny, ask, got a list',
        '10:16 spec.network.rules[0].paths: expected a list of strings, got the string "/repos/**"',
        '11:9 spec.network.rules[1]: expected a mapping with match, methods, paths, action, approver, description, tls, upgrades, got the string "just a string"',
        '13:21 spec.approvals.timeoutSeconds: expected a whole number, got the string "soon"',
      ],
    );
  });

  test('missing top-level fields and an empty document', () => {
    const errors = errorsOf('kind: Policy\n');
    assert.deepEqual(
      errors.map((e) => e.message),
      [
        'missing field "apiVersion" ("warden.dev/v1")',
        'missing field "metadata" (a mapping with name, description)',
        'missing field "spec" (a mapping with network, mcp, packages, approvals, budgets, redact)',
      ],
    );
    assert.ok(errors.every((e) => e.line === 1 && e.column === 1 && e.path === ''));
    const empty = errorsOf('');
    assert.equal(empty.length, 1);
    assert.match(
      empty[0]?.message ?? '',
      /expected a mapping with apiVersion, kind, metadata, spec, got nothing/,
    );
  });

  test('duplicate keys anywhere are errors, reported at the second key', () => {
    const text = [...HEAD, '  name: again', 'kind: Policy', 'spec: {}'].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(brief(errors), ['5:3 metadata.name', '6:1 kind']);
    assert.equal(errors[1]?.message, 'duplicate key "kind"; each field may appear only once in a mapping');
  });

  test('YAML syntax errors are reported with their position', () => {
    const errors = errorsOf([...HEAD, 'spec:', '  network:', '    rules: [a, b', 'x: 1'].join('\n'));
    assert.ok(errors.length >= 1);
    assert.match(errors[0]?.message ?? '', /^YAML syntax error: /);
    assert.ok((errors[0]?.line ?? 0) >= 7, `line ${errors[0]?.line}`);
  });

  test('semantic checks: tls passthrough with request conditions; bad ports; methods', () => {
    const text = [
      ...HEAD,
      'spec:', // 5
      '  network:', // 6
      '    rules:', // 7
      '      - {match: "a.com:0", action: allow}', // 8
      '      - match: b.com', // 9
      '        methods: [GET, "PO ST"]', // 10
      '        action: allow', // 11
      '        tls: passthrough', // 12
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(brief(errors), [
      '8:17 spec.network.rules[0].match',
      '10:24 spec.network.rules[1].methods[1]',
      '12:14 spec.network.rules[1].tls',
    ]);
    assert.match(errors[0]?.message ?? '', /port 0 is out of range/);
    assert.equal(
      errors[1]?.message,
      'expected an HTTP method name (letters only, like GET), got the string "PO ST"',
    );
    assert.match(errors[2]?.message ?? '', /passthrough cannot be combined with methods or paths/);
  });

  test('upgrades: protocol names with positions; websocket needs no entry', () => {
    const ok = [
      ...HEAD,
      'spec:',
      '  network:',
      '    rules:',
      '      - {match: a.com, upgrades: [h2c, TLS/1.2], action: allow}',
    ];
    const parsed = parsePolicy(ok.join('\n'), 'p.yaml');
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.document.spec.network?.rules?.[0]?.upgrades, ['h2c', 'TLS/1.2']);
    const text = [
      ...HEAD,
      'spec:', // 5
      '  network:', // 6
      '    rules:', // 7
      '      - match: b.com', // 8
      '        upgrades: [websocket, "h 2"]', // 9
      '        action: allow', // 10
      '      - {match: c.com, upgrades: [], action: allow}', // 11
    ].join('\n');
    const errors = errorsOf(text);
    assert.deepEqual(brief(errors), [
      '9:20 spec.network.rules[0].upgrades[0]',
      '9:31 spec.network.rules[0].upgrades[1]',
      '11:34 spec.network.rules[1].upgrades',
    ]);
    assert.match(errors[0]?.message ?? '', /websocket needs no entry/);
    assert.equal(
      errors[1]?.message,
      'expected an Upgrade protocol like h2c or TLS/1.2, got the string "h 2"',
    );
    assert.match(errors[2]?.message ?? '', /at least one item/);
  });
});

describe('loadPolicyFile, formatPolicyError, stringifyPolicy', () => {
  test('an unreadable file is one error naming the file and the OS reason', async () => {
    const result = await loadPolicyFile('/nonexistent/warden/policy.yaml');
    assert.ok(!result.ok);
    assert.equal(result.errors.length, 1);
    assert.equal(
      formatPolicyError(result.errors[0]!),
      '/nonexistent/warden/policy.yaml: cannot read policy file: no such file or directory (ENOENT)',
    );
  });

  test('reads a file and formats errors as file:line:col: path: message', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'warden-policy-'));
    try {
      const file = path.join(dir, 'policy.yaml');
      await writeFile(
        file,
        [...HEAD, 'spec:', '  network:', '    rules:', '      - match: a.com', '        actoin: allow'].join(
          '\n',
        ),
      );
      const result = await loadPolicyFile(file);
      assert.ok(!result.ok);
      assert.deepEqual(result.errors.map(formatPolicyError), [
        `${file}:8:9: spec.network.rules[0]: missing field "action" (one of allow, deny, ask)`,
        `${file}:9:9: spec.network.rules[0].actoin: unknown field "actoin"; expected one of match, methods, paths, action, approver, description, tls, upgrades`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('stringifyPolicy round-trips', () => {
    const text = [
      ...HEAD,
      'spec:',
      '  network:',
      '    rules:',
      '      - {match: "*.a.com", methods: [GET], action: allow}',
    ].join('\n');
    const first = parsePolicy(text, 'a.yaml');
    assert.ok(first.ok);
    const again = parsePolicy(stringifyPolicy(first.document), 'b.yaml');
    assert.ok(again.ok);
    assert.deepEqual(again.document, first.document);
    assert.match(stringifyPolicy(first.document), /^apiVersion: warden\.dev\/v1\n/);
  });
});
