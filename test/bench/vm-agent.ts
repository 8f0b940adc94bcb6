// A real agent from the warm pool: `warden run --preset claude-code -- claude --version`
// (median of 5, the pool refilled before each), beside `warden run -- true` on the same
// daemon, so the agent's own start under TCG reads as the difference. Claude Code comes from
// the npm registry through Warden's proxy (`warden agent add claude-code`), once: the
// install is kept in test-artifacts/agents, as the real-agents test keeps it, so a second
// run installs nothing. Skipped, saying why, when the registry does not resolve.
//   node --import tsx test/bench/vm-agent.ts     (or npm run bench -- --only=vm-agent)

import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApiClient } from '../../supervisor/client/api-client.ts';
import { classifyAddress } from '../../supervisor/policy/index.ts';
import { runWarden } from '../support/warden-cli.ts';
import { poolReady } from '../vm/cli.ts';
import { buildTestImage, linkImage, repoRoot } from '../vm/image.ts';

const REGISTRY = 'registry.npmjs.org';

export interface AgentRunFigures {
  /** `warden run --preset claude-code -- claude --version`, CLI wall time, from the warm pool. */
  wardenRunClaudeVersionWarmMs: { median: number; runs: number[] };
  /** `warden run -- true` on the same daemon and pool, alternating with the runs above. */
  wardenRunTrueWarmSameDaemonMs: { median: number; runs: number[] };
  /** `warden agent add claude-code`: the install (or finding it installed). */
  agentAddMs: number;
  agentVersion: string;
  agentReused: boolean;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

/** The daemon's API once it answers (the CLI would otherwise start a second daemon). */
async function daemonUp(home: string): Promise<ApiClient> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const client = await ApiClient.fromFiles(path.join(home, 'warden.sock'), path.join(home, 'token'));
      await client.call('GET /v1/status');
      return client;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`the bench daemon did not answer: ${(error as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function benchAgentRun(runs = 5): Promise<AgentRunFigures> {
  const address = (await lookup(REGISTRY).catch(() => undefined))?.address;
  if (!address) throw new Error(`${REGISTRY} does not resolve: the agent cannot be installed here`);
  const built = await buildTestImage();
  const home = mkdtempSync('/tmp/wbagent-');
  linkImage(home, built.image);
  // As a user does after reading the 403: the registry's address may not be a public one here.
  if (classifyAddress(address) !== 'public')
    writeFileSync(
      path.join(home, 'policy.yaml'),
      `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: agent-bench}\nspec:\n  network:\n    rules:\n      - match: ${address}\n        action: allow\n`,
    );
  const agents = path.join(repoRoot, 'test-artifacts', 'agents');
  mkdirSync(agents, { recursive: true, mode: 0o700 });
  symlinkSync(agents, path.join(home, 'agents'));
  const npmCache = path.join(repoRoot, 'test-artifacts', 'npm-cache');
  mkdirSync(npmCache, { recursive: true });
  // As in a user's shell: without this workplace's NODE_EXTRA_CA_CERTS (see vm.ts).
  const { NODE_EXTRA_CA_CERTS: _extraCa, ...userEnv } = process.env;
  const env = {
    ...userEnv,
    WARDEN_HOME: home,
    WARDEN_ACCEL: process.env.WARDEN_ACCEL ?? 'tcg',
    WARDEN_IMAGE: built.image.name,
    WARDEN_POOL_SIZE: '1',
    WARDEN_NPM_CACHE: npmCache,
  };
  const daemon = spawn(process.execPath, [path.join(repoRoot, 'bin/warden.mjs'), 'daemon'], {
    env,
    stdio: 'ignore',
  });
  try {
    const client = await daemonUp(home);
    const add = await runWarden(['agent', 'add', 'claude-code', '--json'], env, { timeoutMs: 1_800_000 });
    if (add.code !== 0)
      throw new Error(`warden agent add claude-code: exit ${add.code}: ${add.stderr.trim()}`);
    const added = JSON.parse(add.stdout) as { agent: { version: string }; reused: boolean };
    const claude: number[] = [];
    const trueRuns: number[] = [];
    const timed = async (args: string[], expect: RegExp) => {
      await poolReady(client);
      const r = await runWarden(['run', ...args], env, { timeoutMs: 300_000 });
      if (r.code !== 0 || !expect.test(r.stdout))
        throw new Error(`warden run ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
      return r.ms;
    };
    // One of each first: the agent's files reach the page cache, the pool its steady state.
    await timed(['--preset', 'claude-code', '--', 'claude', '--version'], /Claude Code/);
    await timed(['--', 'true'], /^$/);
    for (let i = 0; i < runs; i++) {
      claude.push(await timed(['--preset', 'claude-code', '--', 'claude', '--version'], /Claude Code/));
      trueRuns.push(await timed(['--', 'true'], /^$/));
    }
    return {
      wardenRunClaudeVersionWarmMs: { median: median(claude), runs: claude },
      wardenRunTrueWarmSameDaemonMs: { median: median(trueRuns), runs: trueRuns },
      agentAddMs: add.ms,
      agentVersion: added.agent.version,
      agentReused: added.reused,
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchAgentRun(), null, 2));
}
