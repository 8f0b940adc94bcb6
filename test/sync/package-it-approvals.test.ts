// A package rule IT answers, against a real hub (SQLite) and a real enrolled daemon, with curl
// through the sandbox's proxy to a loopback registry that answers as npm's does (packument,
// tarball). The organisation says `installScripts: ask` with `approver: it`; the project layer
// asks locally about the same versions, which must not let the developer decide. The tarball
// waits on the device, the card reaches IT's inbox with the package's name, version, publish
// time and why (on the hub's page in Chromium too, with the facts every client's card shows);
// IT allows it once (the tarball flows) or denies it (a 403 naming the admin).

import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { buildHubWeb } from '../../build/hub-web.mjs';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import type { HubItApprovalView } from '../../supervisor/api/hub-approvals.ts';
import type { ApiClientError } from '../../supervisor/client/api-client.ts';
import { curl } from '../support/curl.ts';
import { policyYaml } from '../support/daemon.ts';
import { startHostileRegistry } from '../support/hostile-registry.ts';
import { ADMIN_NAME, AdminClient } from '../support/hub/admin.ts';
import { heldForIt, itFleet } from '../support/hub/it-approvals.ts';
import { hasChromium, openItInbox } from '../support/hub/it-page.ts';
import { waitFor } from '../support/sync.ts';
import { tempDir } from '../support/temp-dir.ts';

const PUBLISHED = '2026-11-20T08:00:00.000Z';

function packument(port: number, name: string, versions: string[]) {
  const entry = (version: string) => ({
    name,
    version,
    scripts: { postinstall: 'node post.js' },
    dist: {
      tarball: `http://127.0.0.1:${port}/${name}/-/${name}-${version}.tgz`,
      integrity: 'sha512-AAAA',
    },
  });
  return JSON.stringify({
    name,
    'dist-tags': { latest: versions.at(-1) },
    versions: Object.fromEntries(versions.map((v) => [v, entry(v)])),
    time: Object.fromEntries(versions.map((v) => [v, PUBLISHED])),
  });
}

test('an install script the organisation sends to IT waits on the device until IT answers on the hub', async (t) => {
  const reg = await startHostileRegistry();
  t.after(() => reg.close());
  reg.answers.set('/scripted', { body: packument(reg.port, 'scripted', ['1.0.0', '1.0.1']) });
  for (const v of ['1.0.0', '1.0.1'])
    reg.answers.set(`/scripted/-/scripted-${v}.tgz`, { body: `tarball ${v}` });
  const org = [
    'apiVersion: warden.dev/v1',
    'kind: Policy',
    'metadata: { name: acme-packages }',
    'spec:',
    '  approvals: { timeoutSeconds: 30 }',
    '  packages:',
    '    npm:',
    `      registries: ["127.0.0.1:${reg.port}"]`,
    '      installScripts: ask',
    '      approver: it',
    '',
  ].join('\n');
  // The project asks about the same versions itself: the organisation's IT ask must win.
  const project = `${policyYaml('- match: 127.0.0.1\n  action: allow')}  packages:\n    npm:\n      registries: ["127.0.0.1:${reg.port}"]\n      installScripts: ask\n`;
  const page = hasChromium();
  const webRoot = page ? await buildHubWeb({ outdir: tempDir(t, 'hub-web-'), minify: true }) : undefined;
  const f = await itFleet(t, 'sqlite', { org, project, ...(webRoot ? { webRoot } : {}) });
  try {
    const base = `http://127.0.0.1:${reg.port}`;
    const meta = await curl(f.sandbox.env, [`${base}/scripted`]);
    assert.equal(meta.status, 200);
    assert.deepEqual(Object.keys(JSON.parse(meta.body).versions), ['1.0.0', '1.0.1'], 'asks keep versions');

    const fetch = curl(f.sandbox.env, ['--max-time', '40', `${base}/scripted/-/scripted-1.0.0.tgz`]);
    const held = await heldForIt(f, '/scripted/-/scripted-1.0.0.tgz');
    assert.equal(held.approver, 'it');
    assert.equal(held.package?.name, 'scripted');
    assert.match(held.reason, /installScripts in the organisation layer .*IT answers it on the team hub/);
    await assert.rejects(
      f.d.client.call('POST /v1/approvals/:id', {
        params: { id: held.id },
        body: { decision: 'allow', scope: 'once' },
      }),
      (e: ApiClientError) => e.name === 'ApprovalForIt',
      'the developer cannot answer it',
    );

    const admin = new AdminClient(f.hub.adminUrl);
    assert.equal((await admin.signIn()).status, 200);
    const inbox = await waitFor(
      "the package card in IT's inbox",
      async () => (await admin.call('GET', HUB_ADMIN_PATHS.approvals)).body as HubItApprovalView[],
      (list) => list.some((a) => a.id === held.id),
    );
    const card = inbox.find((a) => a.id === held.id)!;
    assert.deepEqual(card.package, {
      ecosystem: 'npm',
      name: 'scripted',
      version: '1.0.0',
      publishedAt: PUBLISHED,
      registry: `127.0.0.1:${reg.port}`,
      why: 'it runs install scripts (postinstall)',
    });
    assert.equal(card.device, f.deviceId);
    if (page) await seeOnPage(t, f.hub.adminUrl, held.id, reg.port);
    else t.diagnostic("no Chromium: the hub page's card is not looked at");
    assert.equal(
      (await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, { id: held.id, decision: 'allow' })).status,
      200,
    );
    const got = await fetch;
    assert.equal(got.status, 200, got.body);
    assert.equal(got.body, 'tarball 1.0.0', 'released by IT: the tarball flows');
    const history = await f.d.client.call('GET /v1/approvals', { query: { state: 'answered' } });
    const answer = history.find((a) => a.id === held.id)?.answer;
    assert.equal(answer?.client, 'hub');
    assert.equal(answer?.by, ADMIN_NAME);
    const actions = await f.hub.admin.adminStore.actions();
    assert.ok(actions.some((a) => a.action === 'approval.allow' && a.detail.includes('npm scripted@1.0.0')));

    // Denied by IT: the tarball is refused, naming the admin.
    const second = curl(f.sandbox.env, ['--max-time', '40', `${base}/scripted/-/scripted-1.0.1.tgz`]);
    const held2 = await heldForIt(f, '/scripted/-/scripted-1.0.1.tgz');
    await waitFor(
      'the second card',
      async () => (await admin.call('GET', HUB_ADMIN_PATHS.approvals)).body as HubItApprovalView[],
      (list) => list.some((a) => a.id === held2.id),
    );
    await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, { id: held2.id, decision: 'deny' });
    const denied = await second;
    assert.equal(denied.status, 403);
    assert.match(denied.body, new RegExp(`${ADMIN_NAME} denied scripted@1\\.0\\.1`));
    assert.ok(!reg.asked.includes('/scripted/-/scripted-1.0.1.tgz'), 'a denied tarball is never fetched');
  } finally {
    await f.stop();
  }
});

/** IT's inbox in Chromium: the package card lists the facts every client's card shows. */
async function seeOnPage(t: TestContext, adminUrl: string, id: string, port: number): Promise<void> {
  const inbox = await openItInbox(t, adminUrl);
  const card = await inbox.pending(id);
  assert.equal(await card.locator('h3').textContent(), 'npm package scripted@1.0.0');
  assert.equal(await card.locator('.package-name').textContent(), `scripted@1.0.0 (npm, 127.0.0.1:${port})`);
  assert.match(
    (await card.locator('.package-published').textContent()) ?? '',
    new RegExp(`^${PUBLISHED} \\(\\d+ (minutes|hours|days) ago\\)$`),
  );
  assert.equal(await card.locator('.package-why').textContent(), 'it runs install scripts (postinstall)');
  assert.match((await card.textContent()) ?? '', /GET \/scripted\/-\/scripted-1\.0\.0\.tgz/);
  assert.deepEqual(inbox.errors, []);
}
