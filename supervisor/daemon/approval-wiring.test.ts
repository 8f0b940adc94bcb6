// The reviewer hook set in policy: the organisation's wins over the daemon flag and over a
// lower layer's, which cannot remove it; without it, the flag, then a lower layer's hook.
// Real commands (node) answer, so the hook that ran is the one whose verdict comes back.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalView } from '../api/index.ts';
import { Policy, type PolicyLayer, parsePolicy } from '../policy/index.ts';
import { hookConfigOf, policyReviewer } from './approval-wiring.ts';

const say = (reason: string) => [
  process.execPath,
  '-e',
  `process.stdout.write(JSON.stringify({decision:'deny',reason:${JSON.stringify(reason)}}))`,
];

function layer(layerName: PolicyLayer['layer'], hook?: string[]): PolicyLayer {
  const approvals = hook
    ? `  approvals:\n    reviewer:\n      command: ${JSON.stringify(hook)}\n      deadlineSeconds: 5\n`
    : '';
  const text = `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: t }\nspec:\n${approvals}  network: { default: ask }\n`;
  const parsed = parsePolicy(text, `${layerName}.yaml`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { layer: layerName, source: `${layerName}.yaml`, document: parsed.document };
}

const approval = { id: 'a', sandboxId: 'sb', path: '/x' } as ApprovalView;

async function verdictOf(policy: Policy, flag?: string[]): Promise<string | undefined> {
  const review = policyReviewer(flag ? { command: flag, timeoutMs: 5000 } : undefined, () => policy);
  const running = review(approval, new AbortController().signal);
  return running ? (await running).reason : undefined;
}

test("the organisation's reviewer hook wins and a lower layer cannot remove it", async () => {
  const org = layer('organisation', say('org'));
  assert.equal(await verdictOf(Policy.resolve([org, layer('project', say('project'))]), say('flag')), 'org');
  assert.equal(await verdictOf(Policy.resolve([org, layer('project')])), 'org');
  assert.equal(Policy.resolve([org, layer('base', say('base'))]).reviewer?.layer, 'organisation');
});

test('without the organisation: the flag, then a lower layer; none: no hook', async () => {
  assert.equal(await verdictOf(Policy.resolve([layer('project', say('project'))]), say('flag')), 'flag');
  assert.equal(await verdictOf(Policy.resolve([layer('base', say('base'))])), 'base');
  assert.equal(await verdictOf(Policy.resolve([layer('base')])), undefined);
});

test('a hook the policy names that cannot run fails closed', async () => {
  assert.deepEqual(hookConfigOf({ url: 'http://example.com/hook', deadlineSeconds: 2 }), {
    url: 'http://example.com/hook',
    timeoutMs: 2000,
  });
  const policy = Policy.resolve([layer('base')]);
  const review = policyReviewer(
    undefined,
    () =>
      ({
        ...policy,
        reviewer: { spec: { url: 'http://example.com/x' }, layer: 'base', source: 'b' },
      }) as unknown as Policy,
  );
  await assert.rejects(review(approval, new AbortController().signal)!, /must be HTTPS/);
});

test('a reviewer with both or neither of command and url is refused when parsed', () => {
  const text = (r: string) =>
    `apiVersion: warden.dev/v1\nkind: Policy\nmetadata: { name: t }\nspec:\n  approvals:\n    reviewer: ${r}\n`;
  for (const r of ['{ deadlineSeconds: 3 }', '{ command: [a], url: "https://x.test/" }']) {
    const parsed = parsePolicy(text(r), 'p.yaml');
    assert.equal(parsed.ok, false, r);
    assert.match(JSON.stringify(parsed), /exactly one of command/);
  }
});
