// An MCP tool IT answers, against a real hub (SQLite) and a real enrolled daemon, with the
// official SDK's client calling a real MCP server through the sandbox's proxy. The
// organisation sends `write_note` to IT; the project allows that tool, which must not let it
// through. The call waits on the device, its card reaches IT's inbox with the server, the tool
// and the masked arguments (on the hub's page in Chromium too, with ui/cards' facts); IT allows it once (the tool runs) or denies it (a JSON-RPC error
// naming the admin, the tool never runs).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHubWeb } from '../../build/hub-web.mjs';
import { HUB_ADMIN_PATHS } from '../../supervisor/api/hub-admin.ts';
import type { HubItApprovalView } from '../../supervisor/api/hub-approvals.ts';
import { policyYaml } from '../support/daemon.ts';
import { ADMIN_NAME, AdminClient } from '../support/hub/admin.ts';
import { heldForIt, itFleet } from '../support/hub/it-approvals.ts';
import { hasChromium, openItInbox } from '../support/hub/it-page.ts';
import { connectThrough } from '../support/mcp-client.ts';
import { startMcpServer } from '../support/mcp-server.ts';
import { waitFor } from '../support/sync.ts';
import { tempDir } from '../support/temp-dir.ts';

const ORG = [
  'apiVersion: warden.dev/v1',
  'kind: Policy',
  'metadata: { name: acme-mcp }',
  'spec:',
  '  approvals: { timeoutSeconds: 30 }',
  '  mcp:',
  '    servers:',
  '      - match: mcp.test',
  '        name: notes-server',
  '        tools: [{ name: write_note, action: ask, approver: it, description: notes leave the laptop }]',
  '',
].join('\n');

// The project allows the host and the tool: the organisation's IT ask must still win.
const PROJECT = `${policyYaml('- match: mcp.test\n  action: allow\n- match: 127.0.0.1\n  action: allow')}  mcp:\n    servers:\n      - match: mcp.test\n        tools: [{ name: "*", action: allow }]\n`;

test('an MCP tool the organisation sends to IT waits on the device until IT answers on the hub', async (t) => {
  const server = await startMcpServer({ json: true });
  t.after(() => server.close());
  const webRoot = hasChromium()
    ? await buildHubWeb({ outdir: tempDir(t, 'hub-web-'), minify: true })
    : undefined;
  const f = await itFleet(t, 'sqlite', {
    ...(webRoot ? { webRoot } : {}),
    org: ORG,
    project: PROJECT,
    upstreamCa: [server.caPem],
    resolve: { 'mcp.test': '127.0.0.1' },
  });
  const mcp = await connectThrough(
    `https://mcp.test:${server.httpsPort}/mcp`,
    f.sandbox.env.HTTPS_PROXY as string,
    f.d.daemon.ca.certPem,
  );
  try {
    const admin = new AdminClient(f.hub.adminUrl);
    assert.equal((await admin.signIn()).status, 200);
    const card = async (id: string) =>
      (
        await waitFor(
          "the MCP card in IT's inbox",
          async () => (await admin.call('GET', HUB_ADMIN_PATHS.approvals)).body as HubItApprovalView[],
          (list) => list.some((a) => a.id === id),
        )
      ).find((a) => a.id === id)!;

    const allowed = mcp.client.callTool({ name: 'write_note', arguments: { text: 'quarterly numbers' } });
    const held = await heldForIt(f, '/mcp');
    assert.equal(held.approver, 'it');
    assert.equal(held.mcp?.name, 'write_note');
    assert.match(held.reason, /asks IT on the team hub about tools\/call "write_note"/);
    const first = await card(held.id);
    assert.deepEqual(
      { server: first.mcp?.server, method: first.mcp?.method, name: first.mcp?.name },
      { server: 'notes-server', method: 'tools/call', name: 'write_note' },
    );
    assert.match(first.mcp?.arguments ?? '', /quarterly numbers/);
    if (webRoot) {
      const inbox = await openItInbox(t, f.hub.adminUrl);
      const onPage = await inbox.pending(held.id);
      assert.equal(await onPage.locator('h3').textContent(), 'tools/call write_note');
      assert.equal(await onPage.locator('.mcp-name').textContent(), 'write_note');
      assert.match((await onPage.locator('.mcp-arguments').textContent()) ?? '', /quarterly numbers/);
      assert.match((await onPage.textContent()) ?? '', /MCP servernotes-server/);
      assert.deepEqual(inbox.errors, []);
    } else t.diagnostic("no Chromium: the hub page's card is not looked at");
    assert.deepEqual(server.served, [], 'nothing ran before IT answered');
    await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, { id: held.id, decision: 'allow' });
    assert.match(JSON.stringify((await allowed).content), /write_note ran with/);
    const history = await f.d.client.call('GET /v1/approvals', { query: { state: 'answered' } });
    assert.equal(history.find((a) => a.id === held.id)?.answer?.by, ADMIN_NAME);
    const actions = await f.hub.admin.adminStore.actions();
    assert.ok(
      actions.some(
        (a) =>
          a.action === 'approval.allow' &&
          a.detail.includes(`${held.id} POST`) &&
          a.detail.endsWith('tools/call write_note'),
      ),
      "the hub's admin chain names the tool",
    );

    const denied = mcp.client.callTool({ name: 'write_note', arguments: { text: 'again' } });
    const held2 = await waitFor(
      'the second call to wait for IT',
      async () => (await f.d.client.call('GET /v1/approvals')).find((a) => a.id !== held.id && a.mcp),
      (a) => a !== undefined,
    );
    await card(held2!.id);
    await admin.call('POST', HUB_ADMIN_PATHS.approvalAnswer, { id: held2!.id, decision: 'deny' });
    await assert.rejects(denied, (e: Error) => new RegExp(`${ADMIN_NAME} denied`).test(e.message));
    assert.equal(server.served.filter((s) => s === 'tool:write_note').length, 1, 'the denied call never ran');
  } finally {
    await mcp.close();
    await f.stop();
  }
});
