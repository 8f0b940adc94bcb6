// Real `npm install` through a listener against a real registry (Verdaccio on loopback) that
// the policy marks as an npm registry: too-young versions are removed so npm installs an
// older one, deny lists and install scripts are enforced, a held version waits for a human,
// scoped names work, and the audit names every tarball fetched with its integrity.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { ApprovalView, AuditRecord } from '../../supervisor/api/index.ts';
import { curl } from '../support/curl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { runNpm, startRegistry, type TestRegistry } from '../support/npm-registry.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const DAY = 86_400_000;
let registry: TestRegistry;
let d: TestDaemon;

function policy(port: number, npm: string[]): string {
  return [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata:',
    '  name: npm-test',
    'spec:',
    '  network:',
    '    default: deny',
    '    rules:',
    `      - match: "127.0.0.1:${port}"`,
    '        action: allow',
    '  packages:',
    '    npm:',
    `      registries: ["127.0.0.1:${port}"]`,
    ...npm.map((l) => `      ${l}`),
  ].join('\n');
}

function project(): string {
  const { dir } = makeTempDir('warden-npm-project-');
  return dir;
}

function installed(dir: string, name: string): string {
  return JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  registry = await startRegistry();
  const old = new Date(Date.now() - 30 * DAY);
  const publish = async (
    name: string,
    version: string,
    opts: { old?: boolean; script?: boolean; attested?: boolean } = {},
  ) => {
    await registry.publish({
      name,
      version,
      ...(opts.script ? { scripts: { postinstall: 'node post.js' } } : {}),
    });
    if (opts.old) registry.setTime(name, version, old);
    if (opts.attested) registry.setAttested(name, version);
  };
  await publish('fresh-pkg', '1.0.0', { old: true });
  await publish('fresh-pkg', '1.1.0');
  await publish('@acme/tool', '2.0.0', { old: true });
  await publish('@acme/tool', '2.1.0');
  await publish('scripted-pkg', '1.0.0', { old: true });
  await publish('scripted-pkg', '1.1.0', { old: true, script: true });
  await publish('bad-pkg', '1.0.0', { old: true });
  await publish('asked-pkg', '1.0.0', { old: true, script: true });
  await publish('never-pkg', '1.0.0', { old: true });
  // 1.1.0 has provenance; 1.2.0, the newest and latest, was published without it.
  await publish('prov-pkg', '1.0.0', { old: true });
  await publish('prov-pkg', '1.1.0', { old: true, attested: true });
  await publish('prov-pkg', '1.2.0', { old: true });
  await publish('prov-pkg', '2.0.0-beta.1', { old: true });
  d = await startTestDaemon();
});

after(async () => {
  await d?.stop();
  await registry?.stop();
});

test('npm installs the older version when the newest is too young, scripts and denied names are kept out', async () => {
  const { env } = await d.listener(
    policy(registry.port, ['minReleaseAgeDays: 7', 'installScripts: deny', 'deny: [{ name: "bad-*" }]']),
  );
  const dir = project();
  const run = await runNpm(dir, env, registry.url, ['install', 'fresh-pkg', '@acme/tool', 'scripted-pkg']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(installed(dir, 'fresh-pkg'), '1.0.0', 'the 1.1.0 published today was not offered');
  assert.equal(installed(dir, '@acme/tool'), '2.0.0', 'scoped names are governed the same way');
  assert.equal(installed(dir, 'scripted-pkg'), '1.0.0', 'the version with a postinstall script was removed');
  const lock = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  assert.match(lock.dependencies['fresh-pkg'], /1\.0\.0/);

  const denied = await runNpm(project(), env, registry.url, ['install', 'bad-pkg']);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /403/);
  assert.match(denied.stderr, /deny list "bad-\*"/);

  // The audit names each tarball fetched, with the integrity of the bytes fetched.
  const page = await d.client.call('GET /v1/audit', { query: { package: 'fresh-pkg' } });
  const ended = page.records.filter((r: AuditRecord) => r.kind === 'request.ended');
  assert.equal(ended.length, 1);
  const pkg = ((ended[0] as AuditRecord).ocsf.unmapped as { package: Record<string, string> }).package;
  const published = await (await fetch(`${registry.url}/fresh-pkg`)).json();
  assert.deepEqual(
    { name: pkg.name, version: pkg.version, integrity: pkg.integrity },
    { name: 'fresh-pkg', version: '1.0.0', integrity: published.versions['1.0.0'].dist.integrity },
  );
  assert.ok(pkg.published_at?.startsWith(published.time['1.0.0'].slice(0, 10)));
  const scoped = await d.client.call('GET /v1/audit', { query: { package: '@acme/tool@2.0.0' } });
  assert.equal(scoped.records.length, 1);
  const none = await d.client.call('GET /v1/audit', { query: { package: 'fresh-pkg@1.1.0' } });
  assert.equal(none.records.length, 0, 'no tarball of the young version was fetched');
});

test('a direct tarball fetch of a too-young or denied version is refused with a 403 that says why', async () => {
  const { env } = await d.listener(
    policy(registry.port, ['minReleaseAgeDays: 7', 'deny: [{ name: "bad-pkg", versions: "<2" }]']),
  );
  // Never asked for their packuments through this daemon: the proxy reads them itself.
  const young = await curl(env, [`${registry.url}/@acme/tool/-/tool-2.1.0.tgz`]);
  assert.equal(young.status, 403);
  assert.match(
    young.body,
    /@acme\/tool@2\.1\.0 \(published 20\d\d-[^)]+\) is refused: published \d+ minutes? ago; this policy wants 7 days/,
  );
  assert.match(young.body, /minReleaseAgeDays in the project layer/);
  const bad = await curl(env, [`${registry.url}/bad-pkg/-/bad-pkg-1.0.0.tgz`]);
  assert.equal(bad.status, 403);
  assert.match(JSON.parse(bad.body).error, /bad-pkg@1\.0\.0 .*is refused: it is on a deny list "bad-pkg@<2"/);
  assert.match(bad.headers, /x-warden-decision: denied/i);
  const ok = await curl(env, [`${registry.url}/@acme/tool/-/tool-2.0.0.tgz`, '-o', '/dev/null']);
  assert.equal(ok.status, 200, 'an old version of a scoped package is fetched directly');
});

test('a held version waits for a human: install scripts and a first-seen name are asked about', async () => {
  const { env } = await d.listener(policy(registry.port, ['installScripts: ask', 'firstSeen: ask']));
  const dir = project();
  const install = runNpm(dir, env, registry.url, ['install', 'asked-pkg']);
  const card = await until('the package card', async () =>
    (await d.client.call('GET /v1/approvals')).find((a: ApprovalView) => a.package?.name === 'asked-pkg'),
  );
  assert.equal(card.package?.version, '1.0.0');
  assert.match(card.package?.why ?? '', /install scripts \(postinstall\)/);
  assert.ok(card.package?.publishedAt, 'the card names the publish time');
  await assert.rejects(
    d.client.call('POST /v1/approvals/:id', {
      params: { id: card.id },
      body: { decision: 'allow', scope: 'always' },
    }),
    /answered once only/,
  );
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: card.id },
    body: { decision: 'allow', scope: 'once' },
  });
  const run = await install;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(installed(dir, 'asked-pkg'), '1.0.0');

  // A name never fetched on this device is held; denied, npm fails saying so.
  const refused = runNpm(project(), env, registry.url, ['install', 'never-pkg']);
  const first = await until('the first-seen card', async () =>
    (await d.client.call('GET /v1/approvals')).find((a: ApprovalView) => a.package?.name === 'never-pkg'),
  );
  assert.match(first.package?.why ?? '', /never fetched on this device|no version of it was ever fetched/);
  await d.client.call('POST /v1/approvals/:id', {
    params: { id: first.id },
    body: { decision: 'deny', scope: 'once' },
  });
  const denied = await refused;
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /403/);

  // fresh-pkg was fetched by the first test: it is no longer new here, nothing is asked.
  const again = await runNpm(project(), env, registry.url, ['install', 'fresh-pkg@1.0.0']);
  assert.equal(again.code, 0, again.stderr);
});

test('provenance: prefer steers npm to the version with provenance; a lockfile may still fetch the others', async () => {
  const { env } = await d.listener(policy(registry.port, ['provenance: prefer']));
  const dir = project();
  const run = await runNpm(dir, env, registry.url, ['install', 'prov-pkg', 'fresh-pkg@1.0.0']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(installed(dir, 'prov-pkg'), '1.1.0', 'not the latest 1.2.0, published without provenance');
  const ranged = await runNpm(project(), env, registry.url, ['install', 'prov-pkg@^1.0.0']);
  assert.equal(ranged.code, 0, ranged.stderr);

  // The packument's record says what was removed and what was preferred.
  const page = await d.client.call('GET /v1/audit', { query: { host: '127.0.0.1', limit: '200' } });
  const reasons = page.records
    .filter((r: AuditRecord) => r.kind === 'request.ended')
    .map((r: AuditRecord) => String(r.ocsf.status_detail))
    .filter((m: string) => m.includes('prov-pkg'));
  assert.ok(
    reasons.some((m: string) =>
      /removed 2 versions of prov-pkg: .*1\.2\.0 \(it has no provenance attestation; preferred: version with provenance 1\.1\.0\)/.test(
        m,
      ),
    ),
    reasons.join('\n'),
  );
  const doc = JSON.parse((await curl(env, [`${registry.url}/prov-pkg`])).body);
  assert.deepEqual(Object.keys(doc.versions), ['1.1.0', '2.0.0-beta.1'], 'line 2 has no attested release');
  assert.equal(doc['dist-tags'].latest, '1.1.0');

  // A lockfile pinned to 1.2.0 still installs it (prefer, not require), and its record says so.
  const tgz = await curl(env, [`${registry.url}/prov-pkg/-/prov-pkg-1.2.0.tgz`, '-o', '/dev/null']);
  assert.equal(tgz.status, 200);
  const ended = await until('the tarball record', async () => {
    const fetched = await d.client.call('GET /v1/audit', { query: { package: 'prov-pkg@1.2.0' } });
    return fetched.records.find((r: AuditRecord) => r.kind === 'request.ended');
  });
  assert.match(
    JSON.stringify(ended.ocsf),
    /prov-pkg@1\.2\.0: it has no provenance attestation; preferred: version with provenance 1\.1\.0/,
  );
});
