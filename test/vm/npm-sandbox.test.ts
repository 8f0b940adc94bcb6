// Real npm inside a real QEMU sandbox (TCG) under spec.packages.npm: the guest's npm talks
// through the daemon's proxy to a private registry (Verdaccio on the host's loopback behind
// an HTTPS front, every read needing a user's token). The guest holds only a placeholder of
// that token (its .npmrc says `_authToken=${NPM_TOKEN}`); the proxy, terminating TLS, puts
// the vault's value in. Too-young versions and a version with an install script are removed
// so npm resolves an older one (the audit says which and why), a denied name fails npm with
// the proxy's 403 reason in npm's own output, and the audit names each tarball fetched with
// its integrity. One VM boot and two npm runs for the file: npm under TCG costs 15-30 s a
// run, so each run proves as much as it can (test/packages/npm-install.test.ts covers the
// rest of the rules with npm on the host).

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord } from '../../supervisor/api/index.ts';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { startRegistry, type TestRegistry } from '../support/npm-registry.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { startTlsFront, type TlsFront } from '../support/tls-front.ts';
import { guestRun } from './cli.ts';
import { buildTestImage, linkImage } from './image.ts';

const DAY = 86_400_000;
const HOST = 'registry.test';

function policyYaml(port: number): string {
  return [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata: {name: npm-in-a-sandbox}',
    'spec:',
    '  network:',
    '    default: deny',
    '    rules:',
    `      - match: ${HOST}`,
    '        action: allow',
    '        tls: inspect',
    // The registry listens on the host's loopback, which needs a rule naming it.
    '      - match: 127.0.0.1',
    '        action: allow',
    '  packages:',
    '    npm:',
    `      registries: ["${HOST}:${port}"]`,
    '      minReleaseAgeDays: 7',
    '      installScripts: deny',
    '      deny: [{ name: "bad-*" }]',
  ].join('\n');
}

/** Every file under DIR (bounded), for a look at what npm left in the shared workspace. */
function filesUnder(dir: string, out: string[] = [], depth = 0): string[] {
  if (depth > 12 || out.length > 5000) return out;
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) filesUnder(p, out, depth + 1);
    else if (s.isFile()) out.push(p);
  }
  return out;
}

describe('real npm in a QEMU sandbox, through the proxy, under package rules', { timeout: 600_000 }, () => {
  let registry: TestRegistry;
  let front: TlsFront;
  let d: TestDaemon;
  let sandboxId: string;
  let workspace: { dir: string; dispose(): void };
  let base: string;
  const figures: string[] = [];

  /** npm in the guest, in /workspace/DIR, against the registry through the proxy. */
  const npm = async (dir: string, args: string[]) => {
    const t = Date.now();
    const r = await guestRun(d.client, sandboxId, [
      'sh',
      '-c',
      [
        `mkdir -p /workspace/${dir} && cd /workspace/${dir}`,
        `echo '{"name":"${dir}","version":"1.0.0"}' > package.json`,
        `exec npm ${args.join(' ')} --registry ${base}/ --userconfig /workspace/.npmrc` +
          ' --cache /workspace/.npm-cache --no-audit --no-fund --no-update-notifier --fetch-retries 0',
      ].join(' && '),
    ]);
    figures.push(`npm ${args.join(' ')} in the guest: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return r;
  };
  const installed = (dir: string, name: string): string =>
    JSON.parse(readFileSync(path.join(workspace.dir, dir, 'node_modules', name, 'package.json'), 'utf8'))
      .version;

  before(async () => {
    const started = Date.now();
    const image = buildTestImage();
    const caDir = makeTempDir('warden-npmvm-ca-');
    const ca = await CertificateAuthority.loadOrCreate(caDir.dir);
    // The daemon starts while Verdaccio does (both take seconds of CPU under load).
    const daemon = startTestDaemon({
      upstreamCa: [ca.certPem],
      resolve: { [HOST]: '127.0.0.1' },
      daemon: { poolSize: 0, accel: 'tcg' },
      homePrefix: 'warden-npmvm-',
    });
    let registryPort = 0;
    try {
      front = await startTlsFront(ca, HOST, () => registryPort);
      base = `https://${HOST}:${front.port}`;
      registry = await startRegistry({ auth: true, publicUrl: `${base}/` });
      registryPort = registry.port;
    } finally {
      d = await daemon;
      caDir.dispose();
    }
    const old = new Date(Date.now() - 30 * DAY);
    const publish = async (name: string, version: string, o: { old?: boolean; script?: boolean } = {}) => {
      await registry.publish({
        name,
        version,
        ...(o.script ? { scripts: { postinstall: 'node post.js' } } : {}),
      });
      if (o.old) registry.setTime(name, version, old);
    };
    // Published while the guest boots.
    const published = (async () => {
      await publish('fresh-pkg', '1.0.0', { old: true });
      await publish('fresh-pkg', '1.1.0');
      await publish('@acme/tool', '2.0.0', { old: true });
      await publish('@acme/tool', '2.1.0');
      await publish('scripted-pkg', '1.0.0', { old: true });
      await publish('scripted-pkg', '1.1.0', { old: true, script: true });
      await publish('bad-pkg', '1.0.0', { old: true });
    })();
    const booted = (async () => {
      const built = await image;
      linkImage(d.home, built.image);
      await d.client.call('PUT /v1/secrets/:name', {
        params: { name: 'NPM_TOKEN' },
        body: { value: registry.token ?? '', hosts: [HOST], inject: 'bearer' },
      });
      workspace = makeTempDir('warden-npmvm-ws-');
      // What a user with a private registry writes: the token comes from the environment.
      writeFileSync(
        path.join(workspace.dir, '.npmrc'),
        `//${HOST}:${front.port}/:_authToken=\${NPM_TOKEN}\n`,
      );
      const t = Date.now();
      const created = await d.client.call('POST /v1/sandboxes', {
        body: {
          label: 'npm-vm',
          image: built.image.id,
          cpus: 1,
          memoryMiB: 1024,
          diskMiB: 0,
          policy: { yaml: policyYaml(front.port), source: path.join(workspace.dir, 'warden.yaml') },
          secrets: ['NPM_TOKEN'],
          workspace: { path: workspace.dir },
          warm: false,
        },
        timeoutMs: 180_000,
      });
      sandboxId = created.sandbox.sandboxId;
      await until(
        'the sandbox to run',
        () =>
          d.events.some(
            (e) => e.type === 'sandbox.state' && e.sandboxId === sandboxId && e.state === 'RUNNING',
          ),
        180_000,
      );
      figures.push(`TCG boot: ${Date.now() - t} ms`);
    })();
    await Promise.all([published, booted]);
    figures.push(`setup (image, registry, daemon, boot): ${Date.now() - started} ms`);
  });

  after(async () => {
    for (const f of figures) process.stderr.write(`figure: ${f}\n`);
    await d?.stop();
    await registry?.stop();
    await front?.close();
    workspace?.dispose();
  });

  test('npm resolves the older version of a too-young package; scripts are kept out; the audit names each tarball', async () => {
    const run = await npm('ok', ['install', 'fresh-pkg', '@acme/tool', 'scripted-pkg']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(installed('ok', 'fresh-pkg'), '1.0.0', 'the 1.1.0 published today was not offered');
    assert.equal(installed('ok', '@acme/tool'), '2.0.0', 'scoped names are governed the same way');
    assert.equal(
      installed('ok', 'scripted-pkg'),
      '1.0.0',
      'the version with a postinstall script was removed',
    );

    const page = await d.client.call('GET /v1/audit', {
      query: { sandbox: sandboxId, kind: 'request.ended', limit: '1000' },
    });
    const reasonOf = (p: string) =>
      page.records
        .filter((r: AuditRecord) => r.host === HOST && (r.ocsf.unmapped as { path?: string }).path === p)
        .map((r: AuditRecord) => String((r.ocsf.unmapped as { reason?: string }).reason))
        .join('\n');
    assert.match(reasonOf('/fresh-pkg'), /removed 1 version of fresh-pkg: 1\.1\.0 \(published .*7 days/);
    assert.match(
      reasonOf('/scripted-pkg'),
      /removed 1 version of scripted-pkg: 1\.1\.0 \(it runs install scripts \(postinstall\)\)/,
    );
    const fetched = page.records
      .map((r: AuditRecord) => (r.ocsf.unmapped as { package?: Record<string, string> } | undefined)?.package)
      .filter((p): p is Record<string, string> => p !== undefined)
      .map((p) => ({ name: p.name, version: p.version, integrity: p.integrity }))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const auth = { authorization: `Bearer ${registry.token}` };
    const integrity = async (name: string, version: string) =>
      (await (await fetch(`${registry.url}/${name.replace('/', '%2f')}`, { headers: auth })).json()).versions[
        version
      ].dist.integrity;
    assert.deepEqual(fetched, [
      { name: '@acme/tool', version: '2.0.0', integrity: await integrity('@acme/tool', '2.0.0') },
      { name: 'fresh-pkg', version: '1.0.0', integrity: await integrity('fresh-pkg', '1.0.0') },
      { name: 'scripted-pkg', version: '1.0.0', integrity: await integrity('scripted-pkg', '1.0.0') },
    ]);
    const byPackage = await d.client.call('GET /v1/audit', { query: { package: 'fresh-pkg@1.0.0' } });
    assert.equal(byPackage.records.length, 1, 'IT finds which sandbox installed fresh-pkg@1.0.0');
    assert.equal(byPackage.records[0]?.sandboxId, sandboxId);
  });

  test('a denied name fails npm with the proxy’s 403 reason in npm’s output', async () => {
    const denied = await npm('denied', ['install', 'bad-pkg']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /403/);
    assert.match(denied.stderr, /Warden: no version of bad-pkg is allowed/);
    assert.match(denied.stderr, /deny list "bad-\*"/);
    assert.ok(!existsSync(path.join(workspace.dir, 'denied', 'node_modules', 'bad-pkg')));
  });

  test('the guest only ever held a placeholder of the registry token', async () => {
    const token = registry.token ?? '';
    assert.ok(token.length >= 16, 'the registry issued a token');
    const env = await guestRun(d.client, sandboxId, ['env']);
    assert.match(env.stdout, /^NPM_TOKEN=wdn_ph_[0-9a-f]{40}$/m);
    assert.ok(!env.stdout.includes(token), 'the token is not in the guest environment');
    // Everything npm wrote in the shared workspace: its cache, packuments, lock files.
    const files = filesUnder(workspace.dir);
    assert.ok(
      files.some((f) => f.includes('.npm-cache')),
      'npm kept its cache in the workspace',
    );
    for (const f of files) assert.ok(!readFileSync(f).includes(token), `the token is not in ${f}`);
    // The registry refuses a read without the token: npm's reads went through with it only
    // because the proxy put the value in place of the placeholder.
    const anonymous = await fetch(`${registry.url}/fresh-pkg`);
    assert.equal(anonymous.status, 401);
    const proxied = await d.client.call('GET /v1/audit', {
      query: { sandbox: sandboxId, kind: 'request.ended', limit: '1000' },
    });
    const packuments = proxied.records.filter((r: AuditRecord) => {
      const u = r.ocsf.unmapped as { path?: string; status?: number; scheme?: string };
      return r.host === HOST && u.path === '/fresh-pkg' && u.scheme === 'https' && u.status === 200;
    });
    assert.equal(packuments.length, 1, 'the guest’s read of fresh-pkg’s packument was answered');
    // Nor in what the daemon logged or audited.
    assert.ok(!d.logs.join('\n').includes(token), 'the token is not in the daemon log');
    assert.ok(!JSON.stringify(proxied.records).includes(token), 'the token is not in the audit');
  });
});
