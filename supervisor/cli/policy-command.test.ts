// Runs `warden policy …` in-process. The program is built with only the policy command, with
// the same error handling as runProgram (program.ts), so this test does not depend on the modules of
// every other command.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { CliError, ExitCode } from './exit-codes.ts';
import { policyCommand } from './policy-command.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[]): Promise<Run> {
  const program = new Command('warden').exitOverride().addCommand(policyCommand());
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write;
  const err = process.stderr.write;
  // The CLI writes strings; node:test's child process reports to its parent by writing
  // serialized Buffers to stdout, which must pass through untouched.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string')
      return (out as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string')
      return (err as (...a: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    process.exitCode = undefined;
    await program.parseAsync(argv, { from: 'user' });
    code = typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) code = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    else if (error instanceof CliError) {
      process.stderr.write(`warden: ${error.message}\n`);
      code = error.exitCode;
    } else throw error;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

const POLICY = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: demo
spec:
  network:
    rules:
      - match: "*.github.com"
        methods: [GET, POST]
        paths: [/repos/**]
        action: allow
      - match: api.github.com
        action: deny
      - match: ask.example
        action: ask
`;

let dir = '';
const file = (name: string) => path.join(dir, name);

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'warden-policy-cli-'));
  await writeFile(file('a.yaml'), POLICY);
  await writeFile(file('b.yaml'), POLICY.replace('action: deny', 'action: ask'));
  await writeFile(
    file('bad.yaml'),
    POLICY.replace('action: deny', 'actoin: deny').replace('"*.github.com"', 'foo*.com'),
  );
  await writeFile(
    file('base.yaml'),
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: base}\nspec:\n  network:\n    default: deny\n    rules:\n      - {match: base.example, action: allow}\n',
  );
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('warden policy check', () => {
  test('valid file: exit 0', async () => {
    const r = await run(['policy', 'check', file('a.yaml')]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, `${file('a.yaml')}: valid\n`);
    assert.equal(r.stderr, '');
  });
  test('invalid file: every error as file:line:col: path: message, exit 1', async () => {
    const r = await run(['policy', 'check', file('a.yaml'), file('bad.yaml')]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `${file('bad.yaml')}:8:16: spec.network.rules[0].match: "foo*.com": "*" must be a whole label, and only the first one: use *.example.com (one label) or **.example.com (any depth) (expected a host like api.github.com, *.github.com, **.github.com, *, an address or CIDR, with optional scheme:// and :port)`,
      `${file('bad.yaml')}:12:9: spec.network.rules[1]: missing field "action" (one of allow, deny, ask)`,
      `${file('bad.yaml')}:13:9: spec.network.rules[1].actoin: unknown field "actoin"; expected one of match, methods, paths, action, approver, description, tls, upgrades`,
    ]);
  });
  test('--json report', async () => {
    const r = await run(['policy', 'check', '--json', file('bad.yaml')]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.valid, false);
    assert.equal(report.files[0].errors.length, 3);
    assert.equal(report.files[0].errors[2].line, 13);
  });
  test('unreadable file: exit 4 with the OS reason', async () => {
    const r = await run(['policy', 'check', file('missing.yaml')]);
    assert.equal(r.code, ExitCode.environment);
    assert.equal(
      r.stderr,
      `${file('missing.yaml')}: cannot read policy file: no such file or directory (ENOENT)\n`,
    );
  });
  test('no file: usage error', async () => {
    const r = await run(['policy', 'check']);
    assert.equal(r.code, ExitCode.usage);
    assert.match(r.stderr, /missing required argument/);
  });
});

describe('warden policy explain', () => {
  test('deny: the trace and exit 1', async () => {
    const r = await run([
      'policy',
      'explain',
      file('a.yaml'),
      'DELETE',
      'https://api.github.com/repos/acme/x',
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        'DELETE https://api.github.com/repos/acme/x',
        `  skip   project rule 1 (${file('a.yaml')}:8) "*.github.com": method DELETE not in GET,POST`,
        `  match  project rule 2 (${file('a.yaml')}:12) "api.github.com": host "api.github.com" matches "api.github.com"`,
        'outcome: deny',
        `reason: rule 2 of project policy ${file('a.yaml')} (line 12: "api.github.com") denies it`,
        '',
      ].join('\n'),
    );
  });
  test('allow: exit 0', async () => {
    const r = await run([
      'policy',
      'explain',
      file('a.yaml'),
      'get',
      'https://api.github.com/repos/acme/x?page=2',
    ]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^outcome: allow$/m);
  });
  test('ask: exit 0 with the outcome printed', async () => {
    const r = await run(['policy', 'explain', file('a.yaml'), 'GET', 'https://ask.example/']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^outcome: ask$/m);
  });
  test('--base adds a base layer under the project layer; --json', async () => {
    const r = await run([
      'policy',
      'explain',
      '--base',
      file('base.yaml'),
      '--json',
      file('a.yaml'),
      'GET',
      'http://base.example:8080/x',
    ]);
    assert.equal(r.code, 0);
    const out = JSON.parse(r.stdout);
    assert.equal(out.decision.action, 'allow');
    assert.equal(out.decision.rule.layer, 'base');
    assert.deepEqual(out.request, {
      scheme: 'http',
      host: 'base.example',
      port: 8080,
      method: 'GET',
      path: '/x',
    });
    assert.equal(out.trace.length, 4);
    const d = await run([
      'policy',
      'explain',
      '--base',
      file('base.yaml'),
      file('a.yaml'),
      'GET',
      'https://other.example/',
    ]);
    assert.equal(d.code, 1);
    assert.match(
      d.stdout,
      /reason: no rule matches; the default is deny \(set by base policy .*base\.yaml\)/,
    );
  });
  test('bad URL or scheme: usage error; invalid policy: exit 1 with its errors', async () => {
    assert.equal((await run(['policy', 'explain', file('a.yaml'), 'GET', 'not a url'])).code, ExitCode.usage);
    assert.equal(
      (await run(['policy', 'explain', file('a.yaml'), 'GET', 'ftp://x.com/'])).code,
      ExitCode.usage,
    );
    assert.equal(
      (await run(['policy', 'explain', file('a.yaml'), 'G-T', 'https://x.com/'])).code,
      ExitCode.usage,
    );
    const bad = await run(['policy', 'explain', file('bad.yaml'), 'GET', 'https://x.com/']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.yaml:13:9: spec\.network\.rules\[1\]\.actoin: unknown field/);
    assert.match(bad.stderr, /warden: .*bad\.yaml is not a valid policy \(3 error\(s\) above\)/);
  });
});

describe('warden policy diff', () => {
  test('no differences: exit 0', async () => {
    const r = await run(['policy', 'diff', file('a.yaml'), file('a.yaml')]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, 'no differences\n');
  });
  test('differences: formatted, exit 1', async () => {
    const r = await run(['policy', 'diff', file('a.yaml'), file('b.yaml')]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^~ project policy .*b\.yaml rule 2: "api\.github\.com" ask \(action deny → ask\)$/m,
    );
    assert.match(r.stdout, /^outcome changes:$/m);
    assert.match(
      r.stdout,
      /^ {2}GET https:\/\/api\.github\.com\/: deny \(project policy .*a\.yaml rule 2\) → ask/m,
    );
  });
  test('--json', async () => {
    const r = await run([
      'policy',
      'diff',
      '--json',
      '--base',
      file('base.yaml'),
      file('a.yaml'),
      file('b.yaml'),
    ]);
    assert.equal(r.code, 1);
    const diff = JSON.parse(r.stdout);
    assert.equal(diff.empty, false);
    assert.deepEqual(diff.changed[0].fields, ['action']);
  });
});

describe('warden policy schema', () => {
  test('prints the JSON Schema', async () => {
    const r = await run(['policy', 'schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.title, 'Warden policy');
    assert.deepEqual(schema.properties.spec.properties.network.properties.default.enum, [
      'allow',
      'deny',
      'ask',
    ]);
  });
});
