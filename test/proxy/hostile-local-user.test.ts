// The local-user boundary, tried as another process on the same machine would: what `warden
// ui` hands its browser opener (argv and environment are readable with `ps`), what a host
// process run by `warden proxy -- CMD` inherits, and who can read the files in $WARDEN_HOME.
// A real daemon in this process, the real `warden` command beside it; all traffic on
// 127.0.0.1; every wait bounded.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UI_SESSION_PATH } from '../../supervisor/api/routes.ts';
import { Daemon } from '../../supervisor/daemon/index.ts';
import { createLogger } from '../../supervisor/daemon/logger.ts';
import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real `warden` command against `home`, with `env` added to this process's environment. */
function warden(home: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, WARDEN_HOME: home, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** POST a one-time code to the browser-mode listener, as the page does. */
async function redeem(origin: string, code: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${origin}${UI_SESSION_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin },
    body: JSON.stringify({ code }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, body: await res.text() };
}

describe('the API token never reaches a command line', () => {
  let d: TestDaemon;
  let scratch: string;
  before(async () => {
    d = await startTestDaemon({ homePrefix: 'warden-local-ui-' });
    scratch = await mkdtemp(path.join(os.tmpdir(), 'warden-opener-'));
  });
  after(async () => {
    await d?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  test('warden ui opens a URL that carries no token; its one-time code works once', async () => {
    const token = (await readFile(path.join(d.home, 'token'), 'utf8')).trim();
    // A fake browser that records what any local user could read of it: argv and environment.
    const opener = path.join(scratch, 'browser.sh');
    await writeFile(
      opener,
      `#!/bin/sh\nenv > "${scratch}/env.tmp"\nprintf '%s\\n' "$@" > "${scratch}/argv.tmp"\nmv "${scratch}/env.tmp" "${scratch}/env"\nmv "${scratch}/argv.tmp" "${scratch}/argv"\n`,
      { mode: 0o700 },
    );
    const r = await warden(d.home, ['ui'], { BROWSER: opener });
    assert.equal(r.code, 0, r.stderr);
    const argvFile = path.join(scratch, 'argv');
    await until('the opener to run', () => existsSync(argvFile), 10_000);
    const argv = await readFile(argvFile, 'utf8');
    const env = await readFile(path.join(scratch, 'env'), 'utf8');
    assert.ok(!argv.includes(token), 'the token is not in the opener argv');
    assert.ok(!env.includes(token), 'the token is not in the opener environment');
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'nor printed');
    const opened = new URL(argv.trim());
    assert.equal(opened.href, r.stdout.trim(), 'the opener gets the URL printed');
    const code = new URLSearchParams(opened.hash.slice(1)).get('code');
    assert.ok(code, `a one-time code in the fragment: ${opened.href}`);

    const first = await redeem(opened.origin, code);
    assert.equal(first.status, 200, first.body);
    assert.equal(JSON.parse(first.body).token, token, 'the page gets its session for the code');
    const again = await redeem(opened.origin, code);
    assert.equal(again.status, 401, 'a code works once');
    assert.match(JSON.parse(again.body).error.message, /used or expired/);
    assert.match(JSON.parse(again.body).error.hint, /warden ui/);
  });

  test('a code is refused from a foreign Origin or Host, and a guessed code is refused', async () => {
    const ui = await d.client.call('POST /v1/ui');
    const url = new URL(ui.openUrl);
    const code = new URLSearchParams(url.hash.slice(1)).get('code') ?? '';
    const foreign = await fetch(`${url.origin}${UI_SESSION_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ code }),
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(foreign.status, 403);
    assert.equal((await redeem(url.origin, 'A'.repeat(43))).status, 401);
    assert.equal((await redeem(url.origin, code)).status, 200, 'refusals did not burn the real code');
    assert.equal(
      (await d.client.call('POST /v1/ui')).openUrl.includes(ui.openUrl),
      false,
      'each call mints a new code',
    );
  });

  test('a code offered by another user of this machine is refused, and burnt', {
    skip:
      process.getuid?.() === 0 && process.platform === 'linux'
        ? false
        : 'needs root on Linux to act as nobody',
  }, async () => {
    const url = new URL((await d.client.call('POST /v1/ui')).openUrl);
    const code = new URLSearchParams(url.hash.slice(1)).get('code') ?? '';
    const status = await new Promise<string>((resolve) => {
      execFile(
        'runuser',
        [
          '-u',
          'nobody',
          '--',
          'curl',
          '-sS',
          '--max-time',
          '10',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-X',
          'POST',
          '-H',
          'content-type: application/json',
          '-H',
          `origin: ${url.origin}`,
          '--data',
          JSON.stringify({ code }),
          `${url.origin}${UI_SESSION_PATH}`,
        ],
        { timeout: 15_000 },
        (_error, stdout) => resolve(stdout),
      );
    });
    assert.equal(status, '403', 'another uid is refused');
    assert.equal((await redeem(url.origin, code)).status, 401, 'and the code it saw is spent');
  });
});

describe('a host process run by warden proxy inherits no way into the daemon', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon({ homePrefix: 'warden-local-proxy-' });
  });
  after(async () => {
    await d?.stop();
  });

  test("the child's environment has no token, no WARDEN_HOME and no other Warden setting", async () => {
    const token = (await readFile(path.join(d.home, 'token'), 'utf8')).trim();
    const r = await warden(d.home, ['proxy', '--', 'env'], { WARDEN_AUDIT_DURABILITY: 'normal' });
    assert.equal(r.code, 0, r.stderr);
    const names = r.stdout
      .split('\n')
      .map((l) => l.split('=')[0])
      .filter((n): n is string => Boolean(n));
    assert.ok(names.includes('HTTPS_PROXY'), 'the child is given its proxy');
    assert.deepEqual(
      names.filter((n) => n.startsWith('WARDEN_') && n !== 'WARDEN_SANDBOX'),
      [],
      'no Warden setting but the sandbox id',
    );
    assert.ok(!r.stdout.includes(token), 'no token');
    const intoHome = r.stdout
      .split('\n')
      .filter((l) => l.includes(d.home) && !/=[^=]*\/ca\/[a-z]+\.pem$/.test(l));
    assert.deepEqual(intoHome, [], 'no path into $WARDEN_HOME but the CA certificate and bundle');
  });

  test('warden proxy --help says what host mode does not protect', async () => {
    const help = await warden(d.home, ['proxy', '--help']);
    assert.match(help.stdout, /same user/);
    assert.match(help.stdout, /warden run/);
  });
});

/** Every entry under `dir` with its type and permission bits. */
function walk(dir: string, out: Array<{ file: string; kind: string; mode: number }> = []) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = lstatSync(file);
    const kind = st.isDirectory() ? 'dir' : st.isSocket() ? 'socket' : st.isSymbolicLink() ? 'link' : 'file';
    out.push({ file, kind, mode: st.mode & 0o777 });
    if (st.isDirectory()) walk(file, out);
  }
  return out;
}

describe('$WARDEN_HOME is owner-only', () => {
  let up: Upstreams;
  before(async () => {
    up = await startUpstreams();
  });
  after(async () => {
    await up?.close();
  });

  test('a fresh home holds only 0700 folders and 0600 files after a daemon start and audit writes', async () => {
    const d = await startTestDaemon({ homePrefix: 'warden-local-modes-', daemon: { httpPort: 0 } });
    try {
      const { env } = await d.listener(policyYaml('- match: 127.0.0.1\n  action: allow'));
      for (let i = 0; i < 3; i++) {
        assert.equal((await curl(env, [`http://127.0.0.1:${up.httpPort}/ok/${i}`])).status, 200);
      }
      await until('the requests in the audit trail', async () => {
        const page = await d.client.call('GET /v1/audit', { query: { kind: 'request.decided' } });
        return page.records.length >= 3;
      });
      assert.equal(lstatSync(d.home).mode & 0o777, 0o700);
      const entries = walk(d.home);
      assert.ok(
        entries.some((e) => e.file.endsWith('audit.db-wal')),
        'the WAL exists, so its mode is checked',
      );
      const loose = entries.filter((e) =>
        e.kind === 'dir' ? e.mode !== 0o700 : e.kind === 'link' ? false : e.mode !== 0o600,
      );
      assert.deepEqual(
        loose.map((e) => `${path.relative(d.home, e.file)} ${e.kind} ${e.mode.toString(8)}`),
        [],
      );
    } finally {
      await d.stop();
    }
  });

  test('a home others can read (0755) is tightened to 0700, its audit files to 0600, and the log says so', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'warden-local-loose-'));
    await chmod(home, 0o755);
    const logs: string[] = [];
    const daemon = await Daemon.start({
      home,
      log: createLogger((line) => logs.push(line)),
      user: 'tester',
      poolSize: 0,
    });
    try {
      await daemon.stop();
      await chmod(path.join(home, 'audit.db'), 0o644);
      await chmod(home, 0o755);
      const again = await Daemon.start({
        home,
        log: createLogger((line) => logs.push(line)),
        user: 'tester',
        poolSize: 0,
      });
      await again.stop();
      assert.equal(lstatSync(home).mode & 0o777, 0o700);
      assert.equal(lstatSync(path.join(home, 'audit.db')).mode & 0o777, 0o600);
      assert.ok(
        logs.some((l) => l.includes('other users could read') && l.includes(home)),
        logs.join('\n'),
      );
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
