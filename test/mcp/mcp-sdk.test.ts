// MCP tool governance end to end with the official SDK on both ends: its streamable HTTP
// server on loopback (JSON answers and event streams, plain HTTP and HTTPS) and its client
// going through a real daemon's listener. Lists come back without what the policy denies,
// allowed calls run, denied ones fail with the JSON-RPC error the SDK surfaces (and never
// reach the server), asks wait for an answer given through the daemon's API, and every
// call is in the audit trail as OCSF API Activity.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ApprovalView, WardenEvent } from '../../supervisor/api/index.ts';
import { startTestDaemon, type TestDaemon, until } from '../support/daemon.ts';
import { connectThrough, proxyAgent, rawPost } from '../support/mcp-client.ts';
import { startMcpServer, type TestMcpServer } from '../support/mcp-server.ts';

function policy(opts: { recordArguments?: boolean } = {}): string {
  return `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: mcp-test
spec:
  network:
    default: deny
    rules:
      - match: mcp.test
        action: allow
      - match: 127.0.0.1
        action: allow
  approvals:
    timeoutSeconds: 20
  mcp:
    servers:
      - match: mcp.test
        path: /mcp
        name: test-files
        default: deny
        recordArguments: ${opts.recordArguments ?? false}
        tools:
          - name: read_*
            action: allow
          - name: delete_*
            action: deny
            description: nothing is deleted by agents
          - name: write_note
            action: ask
          - name: "odd name/*"
            action: allow
        resources:
          - uri: file:///repo/**
            action: allow
        prompts:
          - name: greet
            action: allow
`;
}

const mcpCalls = (d: TestDaemon, sandboxId: string) =>
  d.events.filter(
    (e): e is Extract<WardenEvent, { type: 'mcp.call' }> =>
      e.type === 'mcp.call' && e.sandboxId === sandboxId,
  );

for (const json of [true, false]) {
  describe(`answers as ${json ? 'JSON' : 'an event stream'}`, () => {
    let server: TestMcpServer;
    let d: TestDaemon;
    let env: Record<string, string>;
    let sandboxId: string;

    before(async () => {
      server = await startMcpServer({ json });
      d = await startTestDaemon({ upstreamCa: [server.caPem], resolve: { 'mcp.test': '127.0.0.1' } });
      await d.client.call('PUT /v1/secrets/:name', {
        params: { name: 'MCP_TOKEN' },
        body: { value: 'real-mcp-token-value-4411', hosts: ['mcp.test'], inject: 'bearer' },
      });
      const created = await d.listener(policy({ recordArguments: !json }), { secrets: ['MCP_TOKEN'] });
      env = created.env;
      sandboxId = created.listener.sandboxId;
    });
    after(async () => {
      await d.stop();
      await server.close();
    });

    const urls = () => [`http://mcp.test:${server.httpPort}/mcp`, `https://mcp.test:${server.httpsPort}/mcp`];
    const wardenCa = () => d.daemon.ca.certPem;

    test('tools/list hides denied tools; an allowed call runs (HTTP and HTTPS)', async () => {
      for (const url of urls()) {
        const c = await connectThrough(url, env.HTTPS_PROXY as string, wardenCa());
        try {
          const tools = await c.client.listTools();
          assert.deepEqual(
            tools.tools.map((t) => t.name).sort(),
            ['odd name/é', 'read_file', 'write_note'],
            url,
          );
          const r = await c.client.callTool({ name: 'read_file', arguments: { text: 'a' } });
          assert.match(JSON.stringify(r.content), /read_file ran with/);
          assert.ok(c.transport.sessionId, 'the session id header came through');
          const odd = await c.client.callTool({ name: 'odd name/é', arguments: {} });
          assert.match(JSON.stringify(odd.content), /ran with/);
        } finally {
          await c.close();
        }
      }
      assert.equal(server.served.filter((s) => s === 'tool:read_file').length, 2);
    });

    test('a denied call fails with a JSON-RPC error naming the rule, and never reaches the server', async () => {
      for (const url of urls()) {
        const c = await connectThrough(url, env.HTTPS_PROXY as string, wardenCa());
        try {
          const error = await c.client.callTool({ name: 'delete_all', arguments: {} }).then(
            () => assert.fail('the call went through'),
            (e: unknown) => e,
          );
          assert.ok(error instanceof McpError, String(error));
          assert.equal(error.code, -32001);
          assert.match(error.message, /Warden denied the MCP tool "delete_all" on server test-files/);
          assert.match(error.message, /nothing is deleted by agents/);
          assert.match(error.message, /spec\.mcp rule tools\[2\] "delete_\*"/);
          // A tool no rule names falls to the server's default (deny), though the server has it.
          await assert.rejects(c.client.callTool({ name: 'dots.and-dashes', arguments: {} }), /default/);
        } finally {
          await c.close();
        }
      }
      assert.ok(!server.served.includes('tool:delete_all'));
      assert.ok(!server.served.includes('tool:dots.and-dashes'));
      const denied = mcpCalls(d, sandboxId).filter((e) => e.name === 'delete_all');
      assert.equal(denied.length, 2);
      assert.equal(denied[0]?.outcome, 'denied');
      assert.equal(denied[0]?.rule?.pattern, 'delete_*');
    });

    test('resources and prompts: lists filtered, reads decided by URI and name', async () => {
      const c = await connectThrough(urls()[0] as string, env.HTTPS_PROXY as string, wardenCa());
      try {
        const resources = await c.client.listResources();
        assert.deepEqual(
          resources.resources.map((r) => r.uri),
          ['file:///repo/readme.md'],
        );
        const ok = await c.client.readResource({ uri: 'file:///repo/readme.md' });
        assert.match(JSON.stringify(ok.contents), /contents of/);
        await assert.rejects(
          c.client.readResource({ uri: 'file:///etc/secret' }),
          /resource "file:\/\/\/etc\/secret"/,
        );
        const prompts = await c.client.listPrompts();
        assert.deepEqual(
          prompts.prompts.map((p) => p.name),
          ['greet'],
        );
        await c.client.getPrompt({ name: 'greet' });
        await assert.rejects(c.client.getPrompt({ name: 'leak' }), /prompt "leak"/);
      } finally {
        await c.close();
      }
      assert.ok(!server.served.includes('resource:file:///etc/secret'));
      assert.ok(!server.served.includes('prompt:leak'));
    });

    test('ask holds the call until a human answers through the daemon API', async () => {
      const c = await connectThrough(urls()[1] as string, env.HTTPS_PROXY as string, wardenCa());
      try {
        const placeholder = env.MCP_TOKEN as string;
        const pendingCall = c.client.callTool({
          name: 'write_note',
          arguments: { text: `note with ${placeholder}` },
        });
        const first = await until('the MCP approval', async () => {
          const list = await d.client.call('GET /v1/approvals', {});
          return list.find((a: ApprovalView) => a.mcp?.name === 'write_note');
        });
        assert.equal(first.mcp?.server, 'test-files');
        assert.equal(first.mcp?.method, 'tools/call');
        assert.ok(first.mcp?.arguments?.includes('[secret placeholder]'), first.mcp?.arguments);
        assert.ok(!first.mcp?.arguments?.includes(placeholder));
        assert.ok((first.mcp?.argumentBytes ?? 0) > placeholder.length);
        await assert.rejects(
          d.client.call('POST /v1/approvals/:id', {
            params: { id: first.id },
            body: { decision: 'allow', scope: 'always' },
          }),
          /answered once only/,
        );
        await d.client.call('POST /v1/approvals/:id', {
          params: { id: first.id },
          body: { decision: 'allow', scope: 'once' },
        });
        const r = await pendingCall;
        assert.match(JSON.stringify(r.content), /write_note ran with/);

        const deniedCall = c.client.callTool({ name: 'write_note', arguments: { text: 'second' } }).then(
          () => 'went through',
          (e: Error) => e.message,
        );
        const second = await until('the second approval', async () => {
          const list = await d.client.call('GET /v1/approvals', {});
          return list.find((a: ApprovalView) => a.mcp?.name === 'write_note' && a.id !== first.id);
        });
        await d.client.call('POST /v1/approvals/:id', {
          params: { id: second.id },
          body: { decision: 'deny', scope: 'once' },
        });
        assert.match(await deniedCall, /Warden denied the MCP tool "write_note".*tester denied it/);
      } finally {
        await c.close();
      }
      const asked = mcpCalls(d, sandboxId).filter((e) => e.name === 'write_note');
      assert.deepEqual(
        asked.map((e) => [e.outcome, e.decidedBy]),
        [
          ['allowed', 'approval'],
          ['denied', 'approval'],
        ],
      );
      assert.equal(server.toolArgs.filter((a) => a.name === 'write_note').length, 1);
    });

    test('a batch: allowed calls answered by the server, denied ones by Warden, in one answer', async () => {
      const c = await connectThrough(urls()[0] as string, env.HTTPS_PROXY as string, wardenCa());
      const agent = proxyAgent(env.HTTPS_PROXY as string, wardenCa());
      try {
        const session = { id: c.transport.sessionId, protocolVersion: '2025-03-26' };
        const batch = [
          {
            jsonrpc: '2.0',
            id: 101,
            method: 'tools/call',
            params: { name: 'read_file', arguments: { text: 'b' } },
          },
          { jsonrpc: '2.0', id: 102, method: 'tools/call', params: { name: 'delete_all', arguments: {} } },
          { jsonrpc: '2.0', id: 103, method: 'tools/list' },
        ];
        const r = await rawPost(agent, urls()[0] as string, JSON.stringify(batch), session);
        assert.equal(r.status, 200, r.text);
        const byId = new Map(
          r.messages().map((m) => [(m as { id: number }).id, m as Record<string, unknown>]),
        );
        assert.deepEqual([...byId.keys()].sort(), [101, 102, 103]);
        assert.ok(byId.get(101)?.result);
        assert.equal((byId.get(102)?.error as { code: number } | undefined)?.code, -32001);
        const listed =
          (byId.get(103)?.result as { tools: Array<{ name: string }> } | undefined)?.tools.map(
            (t) => t.name,
          ) ?? [];
        assert.ok(listed.includes('read_file'));
        assert.ok(!listed.includes('delete_all'));
        // Only denied calls: answered by Warden alone, with HTTP 200.
        const only = await rawPost(
          agent,
          urls()[0] as string,
          JSON.stringify([{ jsonrpc: '2.0', id: 201, method: 'tools/call', params: { name: 'delete_all' } }]),
          session,
        );
        assert.equal(only.status, 200);
        assert.deepEqual(
          only.messages().map((m) => (m as { id: number }).id),
          [201],
        );
      } finally {
        await agent.close();
        await c.close();
      }
    });

    test('each call is audited as OCSF API Activity with its rule; arguments only when asked for', async () => {
      await until('the audit records', async () => {
        const page = await d.client.call('GET /v1/audit', {
          query: { kind: 'mcp.call', sandbox: sandboxId },
        });
        return page.records.length >= 4 ? page : undefined;
      });
      const page = await d.client.call('GET /v1/audit', { query: { kind: 'mcp.call', sandbox: sandboxId } });
      const denied = page.records.find(
        (r) => (r.ocsf.resources as Array<{ name: string }>)[0]?.name === 'delete_all',
      );
      assert.ok(denied);
      assert.equal(denied.ocsf.class_uid, 6003);
      assert.equal(denied.ocsf.class_name, 'API Activity');
      assert.equal((denied.ocsf.api as { operation: string }).operation, 'tools/call');
      assert.equal((denied.ocsf.api as { service: { name: string } }).service.name, 'test-files');
      const unmapped = denied.ocsf.unmapped as Record<string, unknown>;
      assert.equal((unmapped.rule as { pattern: string }).pattern, 'delete_*');
      assert.equal(denied.outcome, 'denied');
      const allowed = page.records.find(
        (r) => (r.ocsf.resources as Array<{ name: string }>)[0]?.name === 'read_file',
      );
      const u = allowed?.ocsf.unmapped as Record<string, unknown>;
      assert.equal(typeof u.argument_bytes, 'number');
      // The event-stream run records arguments (recordArguments: true), the JSON run does not.
      assert.equal(u.arguments === undefined, json);
      for (const r of page.records) assert.ok(!JSON.stringify(r).includes('real-mcp-token-value-4411'));
    });
  });
}
