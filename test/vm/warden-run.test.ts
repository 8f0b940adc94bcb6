// `warden run` end to end: the real `warden` command (bin/warden: the compiled run client
// where built), the daemon it starts, QEMU microvm guests (TCG here) behind their governed
// proxy listeners. Few boots, several checks each: the warm pool hands its pre-booted VMs to
// the runs after the first, including the sandbox with a policy and a secret that the
// network checks run in.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SandboxStateEvent, WardenEvent } from '../../supervisor/api/index.ts';
import { ApiClient } from '../../supervisor/client/api-client.ts';
import { until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import {
  alive,
  type CliRun,
  guestRun as guest,
  poolReady,
  qemusOf,
  runWarden,
  WARDEN_BIN,
  WARDEN_COMMAND,
} from './cli.ts';
import { buildTestImage, linkImage } from './image.ts';

const SECRET_VALUE = 'ghp_realValueNeverInTheGuest_5up3rS3cr3t';

let home: string;
let up: Upstreams;
let env: NodeJS.ProcessEnv;

function warden(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return runWarden(args, { ...env, ...opts.env }, opts.input === undefined ? {} : { input: opts.input });
}

const qemusOfHome = () => qemusOf(home);

function daemonPid(): number {
  return Number(readFileSync(path.join(home, 'daemon.pid'), 'utf8').trim());
}

async function client(): Promise<ApiClient> {
  return ApiClient.fromFiles(path.join(home, 'warden.sock'), path.join(home, 'token'));
}

describe('warden run (real CLI, daemon and QEMU guests)', { timeout: 600_000 }, () => {
  const events: WardenEvent[] = [];
  const stopEvents = new AbortController();
  let kept = '';

  before(async () => {
    const built = await buildTestImage();
    home = mkdtempSync('/tmp/wrun-');
    linkImage(home, built.image);
    up = await startUpstreams();
    env = {
      ...process.env,
      WARDEN_HOME: home,
      WARDEN_ACCEL: 'tcg',
      WARDEN_IMAGE: 'minimal',
      WARDEN_POOL_SIZE: '1',
      WARDEN_RESOLVE: 'api.test=127.0.0.1,denied.test=127.0.0.1,ask.test=127.0.0.1',
      WARDEN_UPSTREAM_CA: up.caFile,
    };
  });

  after(async () => {
    stopEvents.abort();
    try {
      process.kill(daemonPid(), 'SIGTERM');
    } catch {}
    await until('the daemon to stop', () => qemusOfHome().length === 0, 15_000).catch(() => {});
    for (const pid of qemusOfHome()) process.kill(pid, 'SIGKILL');
    await up?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('warden run -- echo hi prints hi and exits 0 (the daemon starts on demand)', async () => {
    const r = await warden(['run', '--', 'echo', 'hi']);
    process.stderr.write(`first warden run (daemon start + boot): ${r.ms} ms\n`);
    assert.equal(r.stdout, 'hi\n', r.stderr);
    assert.equal(r.code, 0);
    const c = await client();
    void c.events((e) => events.push(e), { signal: stopEvents.signal, types: ['sandbox.state'] });
    // The daemon removes the sandbox once the command has ended (warden does not wait for it).
    await until(
      'the sandbox to be removed after the run',
      async () => (await c.call('GET /v1/sandboxes')).length === 0,
      10_000,
    );
  });

  test('stdin and the exit code pass through; the run comes from the warm pool', async () => {
    const c = await client();
    await poolReady(c);
    const r = await warden(['run', '--', 'sh', '-c', 'cat; echo to-stderr >&2; exit 7'], {
      input: 'through stdin\n',
    });
    process.stderr.write(`warden run from the warm pool: ${r.ms} ms\n`);
    assert.equal(r.stdout, 'through stdin\n');
    assert.equal(r.stderr, 'to-stderr\n');
    assert.equal(r.code, 7);
    const fromPool = events.find(
      (e): e is SandboxStateEvent => e.type === 'sandbox.state' && /from the warm pool/.test(e.reason ?? ''),
    );
    assert.ok(fromPool, 'a sandbox.state event says the VM came from the warm pool');
  });

  test('a warden run killed with -9 (running its command, or booting) leaves no sandbox behind', async () => {
    const c = await client();
    const cli = spawn(WARDEN_COMMAND, ['run', '--label', 'killed-cli', '--', 'sleep', '600'], {
      env,
      stdio: 'ignore',
    });
    const mine = async () => (await c.call('GET /v1/sandboxes')).filter((s) => s.label === 'killed-cli');
    // The pool is refilling after the last test: this one may boot its VM first.
    await until(
      'the command to run in its sandbox',
      async () => (await mine()).some((s) => s.kind === 'vm' && s.state === 'RUNNING'),
      120_000,
    );
    // Let the exec reach the guest before the CLI dies.
    await new Promise((r) => setTimeout(r, 1000));
    cli.kill('SIGKILL');
    await until(
      'the sandbox of the killed CLI to be removed',
      async () => (await mine()).length === 0,
      15_000,
    );
    // Killed while its VM boots: the daemon removes the sandbox once the boot is over.
    const booting = spawn(WARDEN_COMMAND, ['run', '--cold', '--label', 'killed-boot', '--', 'true'], {
      env,
      stdio: 'ignore',
    });
    const boot = async () => (await c.call('GET /v1/sandboxes')).filter((s) => s.label === 'killed-boot');
    await until('the cold sandbox to be booting', async () => (await boot()).length === 1, 30_000);
    booting.kill('SIGKILL');
    await until(
      'the sandbox whose client died during its boot to be removed',
      async () => (await boot()).length === 0,
      120_000,
    );
    const removed = await c.call('GET /v1/audit', { query: { kind: 'user.action' } });
    assert.ok(
      removed.records.some((r) => JSON.stringify(r.ocsf).includes('sandbox.remove')),
      'the removal is in the audit trail',
    );
  });

  test('timeout 5 warden run -- a command ignoring TERM: 124 within the grace period, no sandbox', async () => {
    const c = await client();
    await poolReady(c); // a pre-booted VM: the signal reaches a running command, not a boot
    const t0 = Date.now();
    const argv = [WARDEN_COMMAND, 'run', '--label', 'trap-term', '--', 'sh', '-c', 'trap "" TERM; sleep 600'];
    const cli = spawn('timeout', ['5', ...argv], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    cli.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const guard = setTimeout(() => cli.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => cli.once('close', resolve));
    clearTimeout(guard);
    assert.equal(code, 124, stderr);
    assert.ok(Date.now() - t0 < 5_000 + 10_000 + 5_000, `ended after ${Date.now() - t0} ms: ${stderr}`);
    assert.match(stderr, /did not exit within 10 s of SIGTERM/);
    const mine = async () => (await c.call('GET /v1/sandboxes')).filter((s) => s.label === 'trap-term');
    await until('the trap-term sandbox to be removed', async () => (await mine()).length === 0, 15_000);
  });

  test('--disk: the writable layer is a sparse disk of that size, gone with the sandbox; ENOSPC names --disk', async () => {
    const c = await client();
    const script =
      `df -Pm / | awk 'NR==2{print "size", $2}'; ` +
      "dd if=/dev/zero of=/fill bs=1M count=200 2>&1 | grep -o 'No space left on device' | head -1; exit 1";
    const r = await warden(['run', '--disk', '96M', '--label', 'small-disk', '--', 'sh', '-c', script]);
    const size = Number(/^size (\d+)$/m.exec(r.stdout)?.[1]);
    assert.ok(size > 60 && size <= 96, `a 96 MiB disk as the root's writable layer: ${r.stdout}`);
    assert.match(r.stdout, /No space left on device/);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /ran out of disk space in the sandbox \(ENOSPC; its writable layer is 96M\).*--disk 16G/,
    );
    await until(
      'the small-disk sandbox to be removed',
      async () => (await c.call('GET /v1/sandboxes')).every((s) => s.label !== 'small-disk'),
      15_000,
    );
    const disks = readdirSync(path.join(home, 'run')).filter((d) =>
      existsSync(path.join(home, 'run', d, 'disk.img')),
    );
    assert.deepEqual(
      disks.filter((d) => !d.includes('pool')),
      [],
      'no sandbox disk is left but the warm pool VM’s',
    );
    const big = await warden(['run', '--', 'sh', '-c', `df -Pm / | awk 'NR==2{print $2}'`]);
    assert.ok(Number(big.stdout) > 7000, `the default is an 8 GiB disk: ${big.stdout} ${big.stderr}`);
  });

  test('--agent-home keeps ~/.claude per workspace; a home holding a vault value is refused', async () => {
    const ws = path.join(home, 'ws-home');
    mkdirSync(ws);
    const first = await warden([
      'run',
      '--workspace',
      ws,
      '--agent-home',
      '--',
      'sh',
      '-c',
      // Claude Code keeps ~/.claude.json in CLAUDE_CONFIG_DIR when it is set: inside the home.
      'echo \'{"theme":"dark"}\' > ~/.claude/settings.json && mkdir -p ~/.codex && echo x > ~/.codex/history' +
        ' && echo "{\\"onboarded\\":true}" > "$CLAUDE_CONFIG_DIR/.claude.json"',
    ]);
    assert.equal(first.code, 0, first.stderr);
    const second = await warden([
      'run',
      '--workspace',
      ws,
      '--agent-home',
      '--',
      'cat',
      '/root/.claude/settings.json',
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, '{"theme":"dark"}\n', 'the settings outlived the first sandbox');
    const state = await warden([
      'run',
      '--workspace',
      ws,
      '--agent-home',
      '--',
      'sh',
      '-c',
      'cat ~/.claude/.claude.json; echo "$CLAUDE_CONFIG_DIR $CODEX_HOME"',
    ]);
    assert.equal(state.stdout, '{"onboarded":true}\n/root/.claude /root/.codex\n', state.stderr);
    const plain = await warden(['run', '--', 'sh', '-c', 'echo "[$CLAUDE_CONFIG_DIR]"']);
    assert.equal(plain.stdout, '[]\n', 'without --agent-home the agents keep their defaults');
    const ws2 = path.join(home, 'ws-home2');
    mkdirSync(ws2);
    const other = await warden([
      'run',
      '--workspace',
      ws2,
      '--agent-home',
      '--',
      'sh',
      '-c',
      'ls ~/.claude | wc -l',
    ]);
    assert.equal(other.stdout.trim(), '0', `another workspace has its own home: ${other.stderr}`);
    const set = await warden(['secret', 'set', 'HOME_TEST_KEY', '--host', 'api.test', '--inject', 'bearer'], {
      input: 'real-value-0123456789abcdef',
    });
    assert.equal(set.code, 0, set.stderr);
    const homes = readdirSync(path.join(home, 'homes'));
    const dir = homes
      .map((h) => path.join(home, 'homes', h))
      .find((h) => existsSync(path.join(h, '.codex', 'history')));
    assert.ok(dir, `the workspace's home is under $WARDEN_HOME/homes: ${homes}`);
    writeFileSync(path.join(dir, '.claude', 'leak.txt'), 'token real-value-0123456789abcdef\n');
    const refused = await warden(['run', '--workspace', ws, '--agent-home', '--', 'true']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /holds secret values \(\.claude\/leak\.txt: HOME_TEST_KEY\)/);
    assert.ok(!refused.stderr.includes('real-value-0123456789abcdef'), 'the value is never printed');
    rmSync(path.join(dir, '.claude', 'leak.txt'));
  });

  test('a workspace with secret-looking files is refused with the files and the flag to share them', async () => {
    const ws = path.join(home, 'ws');
    mkdirSync(ws);
    writeFileSync(path.join(ws, '.env'), 'TOKEN=x\n');
    writeFileSync(path.join(ws, '.npmrc'), '//registry.npmjs.org/:_authToken=abc\n');
    writeFileSync(path.join(ws, 'README.md'), 'fine\n');
    const r = await warden(['run', '--workspace', ws, '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /look like secrets/);
    assert.match(r.stderr, /\.env {2}\(environment file/);
    assert.match(r.stderr, /\.npmrc {2}\(npm credentials/);
    assert.match(r.stderr, /--include \.env --include \.npmrc/);
    assert.doesNotMatch(r.stderr, /README/);
  });

  test('a kept sandbox with a policy and a secret: placeholders only, bound to the pooled listener', async () => {
    const c = await client();
    await c.call('PUT /v1/secrets/:name', {
      params: { name: 'GH_TOKEN' },
      body: { value: SECRET_VALUE, hosts: ['api.test'], inject: 'bearer' },
    });
    const policy = path.join(home, 'policy.test.yaml');
    writeFileSync(
      policy,
      [
        'apiVersion: warden.dev/v1',
        'kind: Policy',
        'metadata: {name: vm-test}',
        'spec:',
        '  network:',
        '    default: deny',
        '    rules:',
        '      - match: api.test',
        '        action: allow',
        '      - match: ask.test',
        '        action: ask',
        '      - match: 127.0.0.1',
        '        action: allow',
        '  approvals:',
        '    timeoutSeconds: 60',
        '',
      ].join('\n'),
    );
    await poolReady(c);
    const r = await warden(['run', '--keep', '--policy', policy, '--secret', 'GH_TOKEN', '--', 'true']);
    assert.equal(r.code, 0, r.stderr);
    kept = /sandbox (\S+) kept/.exec(r.stderr)?.[1] ?? '';
    assert.ok(kept, r.stderr);
    const view = await c.call('GET /v1/sandboxes/:sandboxId', { params: { sandboxId: kept } });
    assert.ok(view.kind === 'vm');
    assert.equal(view.state, 'RUNNING');
    assert.equal(view.fromPool, true);
    const placeholder = view.placeholders.GH_TOKEN!;
    assert.ok(placeholder && placeholder !== SECRET_VALUE);

    const guestEnv = await guest(c, kept, ['env']);
    assert.ok(guestEnv.stdout.split('\n').includes(`GH_TOKEN=${placeholder}`), guestEnv.stdout);
    // The proxy URL with the adopted sandbox's credential reached the pooled guest, over the
    // control channel; the credential is in no host process's command line.
    const proxyUrl = /^HTTPS_PROXY=(http:\/\/warden:[\w-]{32}@10\.0\.2\.100:3128)$/m.exec(
      guestEnv.stdout,
    )?.[1];
    assert.ok(proxyUrl, guestEnv.stdout);
    const credential = new URL(proxyUrl).password;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      } catch {}
      assert.ok(!cmdline.includes(credential), `the credential is on the command line of pid ${pid}`);
    }
    // Without it (the image's own proxy URL), the listener refuses.
    const anonymous = await guest(c, kept, [
      'curl',
      '-s',
      '-m',
      '20',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--noproxy',
      '',
      '--proxy',
      'http://10.0.2.100:3128',
      `http://api.test:${up.httpPort}/anonymous`,
    ]);
    assert.equal(anonymous.stdout, '407', anonymous.stderr);
    assert.ok(!up.received.some((x) => x.url === '/anonymous'), 'nothing reached the upstream');
    // Every process's environment and command line, and the writable files: no real value.
    const dump = await guest(c, kept, [
      'sh',
      '-c',
      'for p in /proc/[0-9]*; do tr "\\0" "\\n" < $p/environ; tr "\\0" " " < $p/cmdline; echo; done 2>/dev/null; ' +
        'find /etc /root /tmp /run /workspace -type f -size -2M -exec cat {} + 2>/dev/null',
    ]);
    assert.ok(dump.stdout.includes(placeholder), 'the dump did reach the environments');
    assert.ok(!dump.stdout.includes(SECRET_VALUE), 'the real secret is nowhere in the guest');

    // The secret is swapped in on the way out, to the host it is bound to.
    const sent = await guest(c, kept, [
      'sh',
      '-c',
      `curl -sS -m 20 -H "Authorization: Bearer $GH_TOKEN" https://api.test:${up.httpsPort}/secret`,
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const got = up.received.find((x) => x.url === '/secret');
    assert.equal(got?.headers.authorization, `Bearer ${SECRET_VALUE}`);
    assert.equal(got?.secure, true);
    assert.ok(
      !readFileSync(path.join(home, 'daemon.log'), 'utf8').includes(SECRET_VALUE),
      'no secret value in the daemon log',
    );
  });

  test('from inside the guest: allowed HTTPS works with the Warden CA, denied gets the explaining 403, no bypass', async () => {
    const c = await client();
    const ok = await guest(c, kept, ['curl', '-sS', '-m', '20', `https://api.test:${up.httpsPort}/hello`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).url, '/hello');
    // The certificate curl accepted was minted by the Warden CA (the guest trusts no other).
    const issuer = await guest(c, kept, [
      'sh',
      '-c',
      `curl -sS -m 20 -o /dev/null -w '%{certs}' https://api.test:${up.httpsPort}/cert | grep -i '^Issuer:' | head -1`,
    ]);
    assert.match(issuer.stdout, /Warden/i, issuer.stderr);

    // A login shell re-reads the image's profile: the credentialed proxy URL survives it.
    const relogin = await guest(c, kept, [
      'sh',
      '-c',
      `. /etc/profile.d/warden.sh && curl -sS -m 20 https://api.test:${up.httpsPort}/relogin`,
    ]);
    assert.equal(relogin.code, 0, relogin.stderr);
    assert.equal(JSON.parse(relogin.stdout).url, '/relogin');

    const denied = await guest(c, kept, [
      'curl',
      '-s',
      '-m',
      '20',
      '-w',
      '\n%{http_code}',
      `http://denied.test:${up.httpPort}/nope`,
    ]);
    const lines = denied.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), '403');
    assert.match(denied.stdout, /denied\.test/);
    assert.match(denied.stdout, /policy/i);
    assert.ok(!up.received.some((x) => x.url === '/nope'), 'the denied request never reached the upstream');

    // Straight to the host, around the proxy: no route.
    const direct = await guest(c, kept, [
      'curl',
      '-sS',
      '--noproxy',
      '*',
      '-m',
      '5',
      `http://10.0.2.2:${up.httpPort}/direct`,
    ]);
    assert.notEqual(direct.code, 0);
    const outside = await guest(c, kept, ['sh', '-c', 'echo x | nc -w 3 192.0.2.1 80']);
    assert.notEqual(outside.code, 0);
    assert.ok(!up.received.some((x) => x.url === '/direct'));
  });

  test('an approval answered through the API releases a held request', async () => {
    const c = await client();
    const held = guest(c, kept, ['curl', '-sS', '-m', '60', `http://ask.test:${up.httpPort}/held`]);
    let approvalId = '';
    const deadline = Date.now() + 30_000;
    while (!approvalId && Date.now() < deadline) {
      const pending = await c.call('GET /v1/approvals');
      approvalId = pending.find((a) => a.sandboxId === kept && a.host === 'ask.test')?.id ?? '';
      if (!approvalId) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(approvalId, 'the request waits for a human');
    assert.ok(!up.received.some((x) => x.url === '/held'), 'nothing reached the upstream before the answer');
    await c.call('POST /v1/approvals/:id', {
      params: { id: approvalId },
      body: { decision: 'allow', scope: 'once' },
    });
    const r = await held;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).url, '/held');
  });

  test('warden shell passes a signal exit as 128+n; ps and logs show the sandbox', async () => {
    const sig = await warden(['shell', kept, '--no-tty', '--', 'sh', '-c', 'kill -TERM $$']);
    assert.equal(sig.code, 143, sig.stderr);
    const ps = await warden(['ps']);
    assert.match(ps.stdout, new RegExp(`${kept}\\s+vm\\s+RUNNING`));
    const logs = await warden(['logs', kept]);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /warden-init/);
    const status = await (await client()).call('GET /v1/status');
    assert.deepEqual(status.vm?.accel, { accel: 'tcg', reason: 'forced by settings (tcg)' });
    const states = events
      .filter((e): e is SandboxStateEvent => e.type === 'sandbox.state' && e.sandboxId === kept)
      .map((e) => e.state);
    assert.deepEqual(states, ['RUNNING']);
  });

  test('kill -9 of the daemon leaves QEMUs that the next daemon start reaps', async () => {
    const left = qemusOfHome();
    assert.ok(left.length >= 1, 'the kept sandbox (and the pool) run QEMU');
    const old = daemonPid();
    process.kill(old, 'SIGKILL');
    await until('the daemon to die', () => !alive(old), 5000);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(left.every(alive), 'the QEMUs outlived their daemon');
    // Fails closed: the kept sandbox's proxy listener died with the daemon.
    const next = spawn(process.execPath, [WARDEN_BIN, 'daemon'], {
      env: { ...env, WARDEN_POOL_SIZE: '0' },
      stdio: 'ignore',
      detached: true,
    });
    next.unref();
    const vmDirs = () => readdirSync(path.join(home, 'run')).filter((n) => n.startsWith('vm-'));
    await until(
      'the old QEMUs to be reaped',
      () => left.every((p) => !alive(p)) && vmDirs().length === 0,
      30_000,
    );
    assert.deepEqual(qemusOfHome(), []);
    assert.deepEqual(await (await client()).call('GET /v1/sandboxes'), []);
  });
});
