// The `warden` command as a user runs it: a separate process, its own $WARDEN_HOME, the
// daemon started on demand by `warden proxy`, curl run through it, approvals answered
// from another `warden` process, and exit codes scripts can trust.

import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.mjs', import.meta.url));
let home: string;
let up: Upstreams;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function warden(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, WARDEN_HOME: home, WARDEN_RESOLVE: 'api.test=127.0.0.1' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'warden-cli-'));
  up = await startUpstreams();
});
after(async () => {
  const pid = Number((await readFile(path.join(home, 'daemon.pid'), 'utf8').catch(() => '0')).trim());
  if (pid) process.kill(pid, 'SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  await up.close();
  await rm(home, { recursive: true, force: true });
});

test('commands that need the daemon exit 3 with a hint while none runs', async () => {
  const r = await warden(['status']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /not running.*\n.*warden daemon/);
});

test('usage errors exit 2; --help exits 0', async () => {
  assert.equal((await warden(['approve'])).code, 2);
  const help = await warden(['proxy', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--policy <file>/);
});

test('warden proxy starts the daemon, runs a command through it, and passes its exit code', async () => {
  const policy = path.join(home, 'p.yaml');
  await writeFile(
    policy,
    `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: cli}\nspec:\n  network:\n    default: deny\n    rules:\n      - match: 127.0.0.1\n        paths: ["/ok/**"]\n        action: allow\n      - match: 127.0.0.1\n        paths: ["/ask/**"]\n        action: ask\n`,
  );
  const ok = await warden([
    'proxy',
    '--policy',
    policy,
    '--',
    'curl',
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    `http://127.0.0.1:${up.httpPort}/ok/1`,
  ]);
  assert.equal(ok.stdout, '200', ok.stderr);
  assert.equal(ok.code, 0);
  const denied = await warden([
    'proxy',
    '--policy',
    policy,
    '--',
    'curl',
    '-sS',
    '-f',
    `http://127.0.0.1:${up.httpPort}/nope`,
  ]);
  assert.equal(denied.code, 22, 'curl -f exits 22 on the 403, and warden passes that on');
  const status = JSON.parse((await warden(['status', '--json'])).stdout);
  assert.equal(status.sandboxes.length, 0, 'host sandboxes made for a command are removed after it');
});

test('a held request is listed by `warden approvals` and released by `warden approve`', async () => {
  const policy = path.join(home, 'p.yaml');
  const exported = await warden(['proxy', '--policy', policy, '--label', 'agent']);
  assert.equal(exported.code, 0, exported.stderr);
  const env = Object.fromEntries(
    [...exported.stdout.matchAll(/^export (\w+)='([^']*)'$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  // The proxy URL carries the listener's credential (32 URL-safe characters, 192 bits).
  assert.match(env.HTTP_PROXY ?? '', /^http:\/\/warden:[\w-]{32}@127\.0\.0\.1:\d+$/);
  const held: ChildProcess = spawn(
    'curl',
    ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${up.httpPort}/ask/x`],
    {
      env: { PATH: process.env.PATH, ...env },
    },
  );
  const exited = new Promise((r) => held.once('exit', r));
  let out = '';
  held.stdout?.on('data', (c) => {
    out += c;
  });
  let list: Array<{ id: string; path: string }> = [];
  for (let i = 0; i < 100 && list.length === 0; i++) {
    list = JSON.parse((await warden(['approvals', '--json'])).stdout);
    if (list.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(list[0]?.path, '/ask/x');
  const human = await warden(['approvals']);
  assert.match(human.stdout, /GET http:\/\/127\.0\.0\.1:\d+\/ask\/x/);
  const answer = await warden(['approve', list[0]!.id]);
  assert.equal(answer.code, 0, answer.stderr);
  await exited;
  assert.equal(out, '200');
  const again = await warden(['approve', list[0]!.id]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no longer waiting: it was answered allow \(once\) by \S+ from cli at /);
  const decided = await warden(['approvals', '--state', 'answered']);
  assert.match(decided.stdout, /\/ask\/x\n {4}allow \(once\) by \S+ from cli at \d{4}-/);
  const bogus = await warden(['approvals', '--state', 'everything']);
  assert.notEqual(bogus.code, 0);

  // An "always" answer from the CLI, revoked from the CLI: the next request asks again.
  const always = spawn(
    'curl',
    ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${up.httpPort}/ask/always`],
    {
      env: { PATH: process.env.PATH, ...env },
    },
  );
  const alwaysDone = new Promise((r) => always.once('exit', r));
  let alwaysList: Array<{ id: string; path: string }> = [];
  for (let i = 0; i < 100 && alwaysList.length === 0; i++) {
    alwaysList = JSON.parse((await warden(['approvals', '--json'])).stdout);
    if (alwaysList.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await warden(['approve', '--always', alwaysList[0]!.id])).code, 0);
  await alwaysDone;
  const revocable = await warden(['approvals', '--state', 'answered']);
  assert.match(revocable.stdout, /allow \(always\) by \S+ from cli at \S+; revocable/);
  const revoked = await warden(['approvals', 'revoke', alwaysList[0]!.id]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /^revoked: GET 127\.0\.0\.1\/ask\/always asks again in \S+/);
  const revokedAgain = await warden(['approvals', 'revoke', alwaysList[0]!.id]);
  assert.equal(revokedAgain.code, 1);
  assert.match(revokedAgain.stderr, /already revoked/);
  const ps = await warden(['ps']);
  assert.match(ps.stdout, /PROMPTS\/H/);
  assert.match(
    ps.stdout,
    /LISTENING\s+\S+\s+127\.0\.0\.1:\d+\s+(-\s+){7}2\n/,
    'two prompts in the last hour',
  );

  // Two requests that differ only in the query wait on two approvals, each shown with its query.
  const curlHeld = (query: string) => {
    const child = spawn(
      'curl',
      ['-sS', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${up.httpPort}/ask/q?${query}`],
      { env: { PATH: process.env.PATH, ...env } },
    );
    let status = '';
    child.stdout?.on('data', (c) => {
      status += c;
    });
    return new Promise<string>((r) => child.once('exit', () => r(status)));
  };
  const innocent = curlHeld('city=paris');
  const carrying = curlHeld('city=paris&data=c2VjcmV0');
  let pairs: Array<{ id: string; query?: string }> = [];
  for (let i = 0; i < 100 && pairs.length < 2; i++) {
    pairs = JSON.parse((await warden(['approvals', '--json'])).stdout);
    if (pairs.length < 2) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(pairs.map((p) => p.query).sort(), ['city=paris', 'city=paris&data=c2VjcmV0']);
  const shown = await warden(['approvals']);
  assert.match(shown.stdout, /GET http:\/\/127\.0\.0\.1:\d+\/ask\/q\?city=paris /);
  assert.match(shown.stdout, /GET http:\/\/127\.0\.0\.1:\d+\/ask\/q\?city=paris&data=c2VjcmV0 /);
  const approved = await warden(['approve', pairs.find((p) => p.query === 'city=paris')!.id]);
  assert.match(approved.stdout, /allowed GET 127\.0\.0\.1\/ask\/q\?city=paris \(once\)/);
  assert.equal(await innocent, '200');
  const left: Array<{ query?: string }> = JSON.parse((await warden(['approvals', '--json'])).stdout);
  assert.deepEqual(
    left.map((p) => p.query),
    ['city=paris&data=c2VjcmV0'],
    'approving one released only it',
  );
  const other = pairs.find((p) => p.query !== 'city=paris')!;
  assert.equal((await warden(['deny', other.id])).code, 0);
  assert.equal(await carrying, '403');

  const sandbox = /# Warden listener (\S+)/.exec(exported.stdout)![1]!;
  assert.equal((await warden(['proxy', '--rm', sandbox])).code, 0);
});

test('secrets: set reads the value from stdin, ls shows names and bindings only', async () => {
  const set = await warden(
    ['secret', 'set', 'NPM_TOKEN', '--host', 'registry.npmjs.org', '--inject', 'bearer'],
    'npm_value_123\n',
  );
  assert.equal(set.code, 0, set.stderr);
  const ls = await warden(['secret', 'ls']);
  assert.match(ls.stdout, /NPM_TOKEN\s+bearer\s+registry\.npmjs\.org/);
  assert.ok(!ls.stdout.includes('npm_value_123'));
  const bad = await warden(['secret', 'set', 'bad name', '--host', 'x.test'], 'v');
  assert.equal(bad.code, 1);
  assert.ok(!bad.stderr.includes('"v"'));
  assert.equal((await warden(['secret', 'rm', 'NPM_TOKEN'])).code, 0);
  assert.equal((await warden(['secret', 'rm', 'NPM_TOKEN'])).code, 1);
});

test('policy apply: an invalid file changes nothing; a valid one is applied with its diff and shown with sources', async () => {
  const bad = path.join(home, 'bad.yaml');
  await writeFile(
    bad,
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: b}\nspec:\n  network:\n    rules:\n      - match: "*.*.com"\n        action: allow\n',
  );
  const before = (await warden(['policy', 'show', '--json'])).stdout;
  const refused = await warden(['policy', 'apply', bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /bad\.yaml:7:\d+: spec\.network\.rules\[0\]\.match/);
  assert.equal((await warden(['policy', 'show', '--json'])).stdout, before, 'nothing half-applied');
  const good = path.join(home, 'good.yaml');
  await writeFile(
    good,
    'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: g}\nspec:\n  network:\n    default: deny\n    rules:\n      - match: 169.254.169.254\n        action: deny\n',
  );
  const applied = await warden(['policy', 'apply', good]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /169\.254\.169\.254/);
  const shown = await warden(['policy', 'show']);
  assert.match(shown.stdout, /deny\s+169\.254\.169\.254\s+\[base .*policy\.yaml:8\]/);
  assert.match(shown.stdout, /default: deny \(from base\)/);
});

test('a host process behind `warden proxy` is a sandbox: ps and status show it, rule add and --rm work', async () => {
  const made = await warden(['proxy', '--label', 'lister', '--json']);
  assert.equal(made.code, 0, made.stderr);
  const { sandbox } = JSON.parse(made.stdout) as {
    sandbox: { kind: string; sandboxId: string; port: number };
  };
  assert.equal(sandbox.kind, 'host');
  const id = sandbox.sandboxId;
  const ps = await warden(['ps']);
  assert.match(ps.stdout, /^SANDBOX\s+KIND\s+STATE\s+AGE\s+PROXY/);
  assert.match(
    ps.stdout,
    new RegExp(`^${id}\\s+host\\s+LISTENING\\s+\\d+s\\s+127\\.0\\.0\\.1:${sandbox.port}\\b`, 'm'),
  );
  const status = await warden(['status']);
  assert.match(status.stdout, /^sandboxes {2}\d+$/m);
  assert.match(
    status.stdout,
    new RegExp(`^ {2}${id} {2}host http://127\\.0\\.0\\.1:${sandbox.port} {2}user `, 'm'),
  );
  const rule = await warden(['rule', 'add', id, '--match', 'api.test', '--action', 'allow']);
  assert.equal(rule.code, 0, rule.stderr);
  assert.match(rule.stdout, /api\.test/);
  assert.equal((await warden(['proxy', '--rm', id])).code, 0);
  assert.doesNotMatch((await warden(['ps'])).stdout, new RegExp(id));
  const gone = await warden(['rule', 'add', id, '--match', 'api.test', '--action', 'allow']);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, new RegExp(`no sandbox ${id}`));
});
