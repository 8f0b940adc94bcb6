// Real agents, from the npm registry, through Warden's own proxy: `warden agent add
// claude-code` and `codex` install them in a sandbox (npm in the guest, every request
// decided and audited), then in new sandboxes `claude --version` and `codex --version`
// run, and `claude -p` / `codex exec` talk to loopback stand-ins of Anthropic's Messages
// API and OpenAI's Responses API (test/support/model-api-stubs.ts) through the proxy, which
// injects the real key from the vault: the stubs check they got it, the guest only ever
// has the placeholder. Needs the npm registry (CI has it); npm's cache is kept in
// test-artifacts/npm-cache so a second run downloads nothing.
// Where the registry's name resolves to an address Warden treats as reserved (as in CI),
// the base policy names that address, as a user does after reading the 403.

import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AgentView, AuditRecord, SandboxStateEvent } from '../../supervisor/api/index.ts';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { ApiClient, ApiClientError } from '../../supervisor/client/api-client.ts';
import { classifyAddress } from '../../supervisor/policy/index.ts';
import { until } from '../support/daemon.ts';
import { type ModelStub, startAnthropicStub, startOpenAiStub } from '../support/model-api-stubs.ts';
import { type CliRun, qemusOf, runWarden } from './cli.ts';
import { buildTestImage, linkImage, repoRoot } from './image.ts';

const REGISTRY = 'registry.npmjs.org';
const ANTHROPIC_KEY = 'sk-ant-api03-REAL-test-key-0123456789';
const OPENAI_KEY = 'sk-proj-REAL-test-key-0123456789';

async function registryAddress(): Promise<string | undefined> {
  if (process.env.WARDEN_SKIP_REAL_AGENTS === '1') return undefined;
  try {
    return (await lookup(REGISTRY)).address;
  } catch {
    return undefined;
  }
}
const address = await registryAddress();

describe('real agents from the npm registry, through the proxy', {
  skip: address ? false : `${REGISTRY} does not resolve (or WARDEN_SKIP_REAL_AGENTS=1)`,
  timeout: 3_600_000,
}, () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  let anthropic: ModelStub;
  let openai: ModelStub;
  let upstreamCa = '';
  const figures: string[] = [];
  const warden = (args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<CliRun> =>
    runWarden(args, env, { timeoutMs: 1_800_000, ...o });
  const client = () => ApiClient.fromFiles(path.join(home, 'warden.sock'), path.join(home, 'token'));

  before(async () => {
    const built = await buildTestImage();
    home = mkdtempSync('/tmp/wagents-');
    linkImage(home, built.image);
    // The stand-ins' own CA, trusted by Warden for upstreams (WARDEN_UPSTREAM_CA).
    const ca = await CertificateAuthority.loadOrCreate(path.join(home, 'stub-ca'));
    anthropic = await startAnthropicStub(ca, ANTHROPIC_KEY, 'hi from the stub');
    openai = await startOpenAiStub(ca, OPENAI_KEY, 'hello from the stub');
    upstreamCa = ca.certPath;
    const category = classifyAddress(address!);
    const rules = [
      // The model APIs' stand-ins listen on loopback, which needs a rule naming it.
      '      - match: 127.0.0.1\n        action: allow\n',
      // Terminated by the proxy, which injects the vault's key into the request.
      '      - match: anthropic.test\n        action: allow\n        tls: inspect\n',
      '      - match: openai.test\n        action: allow\n        tls: inspect\n',
      // As a user does after reading the 403: the registry's address is not a public one here.
      ...(category === 'public' ? [] : [`      - match: ${address}\n        action: allow\n`]),
    ];
    writeFileSync(
      path.join(home, 'policy.yaml'),
      `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: real-agents}\nspec:\n  network:\n    rules:\n${rules.join('')}`,
    );
    const npmCache = path.join(repoRoot, 'test-artifacts', 'npm-cache');
    mkdirSync(npmCache, { recursive: true });
    // Installed agents outlive the run's home (a second run installs nothing): the install
    // itself is what a first run, and CI's fresh clone, measures.
    const agents = path.join(repoRoot, 'test-artifacts', 'agents');
    mkdirSync(agents, { recursive: true, mode: 0o700 });
    symlinkSync(agents, path.join(home, 'agents'));
    env = {
      ...process.env,
      WARDEN_HOME: home,
      WARDEN_ACCEL: process.env.WARDEN_ACCEL ?? 'tcg',
      WARDEN_IMAGE: 'minimal',
      WARDEN_POOL_SIZE: '0',
      WARDEN_RESOLVE: 'anthropic.test=127.0.0.1,openai.test=127.0.0.1',
      WARDEN_NPM_CACHE: npmCache,
      WARDEN_UPSTREAM_CA: upstreamCa,
    };
  });

  after(async () => {
    for (const f of figures) process.stderr.write(`figure: ${f}\n`);
    try {
      process.kill(Number(readFileSync(path.join(home, 'daemon.pid'), 'utf8').trim()), 'SIGTERM');
    } catch {}
    if (home) await until('the daemon to stop', () => qemusOf(home).length === 0, 15_000).catch(() => {});
    await anthropic?.close();
    await openai?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function addAgent(name: string): Promise<AgentView> {
    const r = await warden(['agent', 'add', name, '--json']);
    assert.equal(r.code, 0, `warden agent add ${name}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`installing the agent ${name} in a sandbox, through the proxy`));
    const out = JSON.parse(r.stdout) as { agent: AgentView; reused: boolean };
    figures.push(
      `warden agent add ${name}: ${(r.ms / 1000).toFixed(1)} s (${out.reused ? 'already installed' : 'cold'}), ` +
        `${out.agent.version}, ${(out.agent.sizeBytes / 2 ** 20).toFixed(0)} MiB on disk`,
    );
    assert.match(out.agent.integrity, /^sha512-/);
    if (out.reused) return out.agent; // installed by an earlier run (test-artifacts/agents)
    // The CLI followed the daemon's task for the install and said its steps.
    assert.match(r.stderr, new RegExp(`npm install ${out.agent.package.replace('/', '\\/')}@latest`));
    const tasks = await (await client()).call('GET /v1/tasks');
    assert.ok(
      tasks.some((t) => t.kind === 'agent.install' && t.title === `Installing ${name}` && t.state === 'done'),
      `the install's task ended done: ${JSON.stringify(tasks)}`,
    );
    // Every request of the install is in the audit trail, under the install's sandbox.
    const page = await (await client()).call('GET /v1/audit', {
      query: { sandbox: out.agent.installSandboxId, kind: 'request.decided', limit: '1000' },
    });
    const registry = page.records.filter((rec: AuditRecord) => rec.host === REGISTRY);
    assert.ok(
      registry.length > 0,
      `the install's registry requests are audited: ${JSON.stringify(page.records.slice(0, 3))}`,
    );
    assert.ok(registry.every((rec) => rec.outcome === 'allowed'));
    return out.agent;
  }

  test('warden agent add claude-code and codex install them from the registry, pinned', async () => {
    const claude = await addAgent('claude-code');
    assert.equal(claude.package, '@anthropic-ai/claude-code');
    assert.ok(claude.bins.includes('claude'));
    const codex = await addAgent('codex');
    assert.equal(codex.package, '@openai/codex');
    assert.ok(codex.bins.includes('codex'));
    const ls = await warden(['agent', 'ls']);
    assert.match(
      ls.stdout,
      new RegExp(
        `^claude-code +${claude.version.replaceAll('.', '\\.')} +@anthropic-ai/claude-code +sha512-`,
        'm',
      ),
    );
    assert.match(ls.stdout, /^codex +\S+ +@openai\/codex +sha512-/m);
    const again = await warden(['agent', 'add', 'claude-code']);
    assert.equal(again.code, 0);
    assert.match(again.stderr, /is installed/);
    assert.ok(again.ms < 30_000, `an installed agent is not installed again: ${again.ms} ms`);
  });

  test('an install cancelled while npm runs stops, removes its sandbox and keeps nothing', async () => {
    const c = await client();
    const add = c.call('POST /v1/agents', { body: { spec: 'typescript' }, timeoutMs: 1_200_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const task = await until(
      'the install to reach npm',
      async () =>
        (await c.call('GET /v1/tasks')).find(
          (t) => t.kind === 'agent.install' && t.state === 'running' && t.step?.startsWith('npm install'),
        ),
      1_200_000,
    );
    assert.ok(task.sandboxId, 'the task names its install sandbox');
    await c.call('POST /v1/tasks/:taskId/cancel', { params: { taskId: task.id } });
    const error = await add;
    assert.ok(error instanceof ApiClientError, String(error));
    assert.equal(error.status, 409);
    assert.equal(error.details.name, 'Cancelled');
    const ended = (await c.call('GET /v1/tasks')).find((t) => t.id === task.id);
    assert.equal(ended?.state, 'cancelled');
    assert.equal(
      (await c.call('GET /v1/sandboxes')).some((v) => v.sandboxId === task.sandboxId),
      false,
      'the install sandbox is removed',
    );
    assert.equal(
      (await c.call('GET /v1/agents')).some((a) => a.name === 'typescript'),
      false,
      'nothing is stored',
    );
    assert.deepEqual(
      readdirSync(path.join(home, 'agents')).filter((n) => n.startsWith('.staging-')),
      [],
      'no staging folder is left',
    );
  });

  test('claude --version and codex --version run in a sandbox; the sandbox shows and audits the pins', async () => {
    const events: SandboxStateEvent[] = [];
    const stop = new AbortController();
    void (await client()).events((e) => events.push(e as SandboxStateEvent), {
      signal: stop.signal,
      types: ['sandbox.state'],
    });
    const t = Date.now();
    const r = await warden([
      'run',
      '--preset',
      'claude-code',
      '--keep',
      '--label',
      'versions',
      '--',
      'claude',
      '--version',
    ]);
    figures.push(
      `warden run --preset claude-code -- claude --version: ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+ \(Claude Code\)/m);
    const id = /sandbox (\S+) kept/.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);
    const view = await (await client()).call('GET /v1/sandboxes/:sandboxId', { params: { sandboxId: id } });
    assert.equal(view.kind, 'vm');
    if (view.kind === 'vm') {
      assert.deepEqual(
        view.agents.map((a) => a.name),
        ['claude-code'],
      );
      assert.match(view.agents[0]!.integrity, /^sha512-/);
      assert.equal(view.memoryMiB, 2048, 'the preset sets the memory its agent needs');
    }
    const c = await warden(['run', '--agent', 'codex', '--', 'codex', '--version']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /^codex-cli \d+\.\d+\.\d+/m);
    await warden(['stop', id]);
    stop.abort();
    const page = await (await client()).call('GET /v1/audit', {
      query: { sandbox: id, kind: 'sandbox.state' },
    });
    const pinned = page.records.find((rec) => JSON.stringify(rec.ocsf).includes('@anthropic-ai/claude-code'));
    assert.ok(pinned, 'the sandbox’s audit records name the agent it ran, with its version and integrity');
  });

  test('claude -p against the Messages API stand-in: the real key is injected, the guest has only the placeholder', async () => {
    const set = await warden(
      ['secret', 'set', 'ANTHROPIC_API_KEY', '--host', 'anthropic.test', '--inject', 'header:x-api-key'],
      {
        input: ANTHROPIC_KEY,
      },
    );
    assert.equal(set.code, 0, set.stderr);
    const port = anthropic.port;
    const script = [
      `export ANTHROPIC_BASE_URL=https://anthropic.test:${port}`,
      'export DISABLE_TELEMETRY=1 DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
      'claude -p "say hi" < /dev/null; echo "exit $?"',
      'echo "env key: $ANTHROPIC_API_KEY"',
      // What the guest can see, printed for the host to search (the key is never sent in).
      'echo "--- guest view"; env; cat /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" "\\n"',
      'find /root /tmp /etc -xdev -type f -size -2M 2>/dev/null | xargs cat 2>/dev/null | head -c 8000000',
    ].join('\n');
    const r = await warden(
      ['run', '--preset', 'claude-code', '--secret', 'ANTHROPIC_API_KEY', '--', 'sh', '-c', script],
      {
        timeoutMs: 900_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hi from the stub/, `claude printed the stub's answer:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^exit 0$/m);
    assert.match(r.stdout, /^env key: wdn_ph_[a-z0-9]{40}$/m, 'the guest has the placeholder');
    assert.match(r.stdout, /--- guest view/);
    assert.ok(
      !r.stdout.includes(ANTHROPIC_KEY),
      'the real key is nowhere in the guest (env, processes, files)',
    );
    const messages = anthropic.received.filter((q) => q.url.startsWith('/v1/messages'));
    assert.ok(messages.length > 0, 'the stub got the messages');
    assert.ok(
      messages.every((q) => q.headers['x-api-key'] === ANTHROPIC_KEY),
      'each with the real key, injected',
    );
    const page = await (await client()).call('GET /v1/audit', {
      query: { host: 'anthropic.test', kind: 'request.decided' },
    });
    assert.ok(page.records.length >= messages.length, 'the audit shows each request');
  });

  test('codex exec against the Responses API stand-in: the real key is injected', async () => {
    const set = await warden(
      ['secret', 'set', 'OPENAI_API_KEY', '--host', 'openai.test', '--inject', 'bearer'],
      {
        input: OPENAI_KEY,
      },
    );
    assert.equal(set.code, 0, set.stderr);
    const script = [
      // A provider naming the stand-in, its key taken from OPENAI_API_KEY (the placeholder).
      'cd /tmp && codex exec --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox \\',
      `  -c 'model_provider="stub"' -c 'model_providers.stub={name="stub",base_url="https://openai.test:${openai.port}/v1",env_key="OPENAI_API_KEY",wire_api="responses"}' \\`,
      '  "say hello" < /dev/null; echo "exit $?"',
      'echo "env key: $OPENAI_API_KEY"',
    ].join('\n');
    const r = await warden(
      ['run', '--preset', 'codex', '--secret', 'OPENAI_API_KEY', '--', 'sh', '-c', script],
      {
        timeoutMs: 900_000,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout + r.stderr,
      /hello from the stub/,
      `codex printed the stub's answer:\n${r.stdout}\n${r.stderr}`,
    );
    assert.match(r.stdout, /^env key: wdn_ph_[a-z0-9]{40}$/m);
    const calls = openai.received.filter((q) => q.url.startsWith('/v1/responses'));
    assert.ok(calls.length > 0, 'the stub got the responses call');
    assert.ok(calls.every((q) => q.headers.authorization === `Bearer ${OPENAI_KEY}`));
  });
});
