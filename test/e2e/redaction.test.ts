// What spec.redact did, as the Activity view shows it (Debian's Chromium on the bundle a real
// daemon serves): the official Anthropic SDK through a listener whose policy masks cloud keys
// and e-mail addresses and blocks private keys, to the loopback stand-in of the API. The
// masked request's row says what kinds were masked and how many (never a value), live; the
// blocked one's says what blocked it; the stand-in never received a planted value.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { Page } from 'playwright-core';
import { modelSdks } from '../support/model-sdk-clients.ts';
import type { SpendStub } from '../support/model-spend-stubs.ts';
import { type ModelStubUi, startModelStubUi } from './model-stub-ui.ts';
import { screenshot, skipReason, type UiDaemon } from './support.ts';

const skip = skipReason();

const AWS = 'AKIAZ7QWERTYUIOPLKJH';
const EMAIL = 'ada.lovelace@analytical.example';
const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7redactme';

const POLICY = `apiVersion: warden.dev/v1
kind: Policy
metadata:
  name: redact-ui
spec:
  network:
    default: deny
    rules:
      - { match: models.test, action: allow }
      - { match: 127.0.0.1/32, action: allow }
  redact:
    hosts: [models.test]
    rules:
      - { detector: cloud-keys, action: mask }
      - { detector: email, action: mask }
      - { detector: private-keys, action: block }
`;

describe('redaction counts in the Activity view in Chromium', { skip: skip ?? false }, () => {
  let stub: SpendStub;
  let d: UiDaemon;
  let page: Page;
  let errors: string[];

  let ui: ModelStubUi | undefined;
  before(async () => {
    ui = await startModelStubUi('redact');
    ({ stub, d, page, errors } = ui);
  });
  after(async () => {
    await ui?.close();
  });

  test('a masked request shows its kinds and counts, a blocked one what blocked it; no value anywhere', async () => {
    // With a sandbox, the app leaves its first-run guide: 1 is the Activity view.
    const { env, listener } = await d.listener(POLICY);
    await page.locator('body').press('1');
    await page.locator('h1', { hasText: 'Activity' }).waitFor();
    const { anthropic } = modelSdks(env.HTTPS_PROXY as string, d.daemon.ca.certPem, stub.port);
    const from = stub.bodies.length;

    const msg = await anthropic.messages.create({
      model: 'stub-claude-1',
      max_tokens: 5,
      messages: [
        { role: 'user', content: `deploy with ${AWS} and tell ${EMAIL} and ${EMAIL.toUpperCase()}` },
      ],
    });
    assert.equal(msg.content[0]?.type === 'text' && msg.content[0].text, 'hello', 'the agent got its answer');
    const masked = page.locator(`.activity-table .row[data-outcome="allowed"]`, { hasText: 'redacted:' });
    await masked.waitFor({ timeout: 10_000 });
    assert.equal(
      (await masked.locator('.redacted').textContent())?.trim(),
      'redacted: cloud-keys 1, email 2',
    );
    assert.match(
      (await masked.textContent()) ?? '',
      new RegExp(`${listener.sandboxId}POSTmodels\\.test/v1/messages`),
    );
    assert.match((await masked.getAttribute('title')) ?? '', /\nredacted: cloud-keys 1, email 2$/);

    const refused = await anthropic.messages
      .create({
        model: 'stub-claude-1',
        max_tokens: 5,
        messages: [
          { role: 'user', content: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----` },
        ],
      })
      .then(
        () => assert.fail('the blocked request went through'),
        (e: unknown) => e,
      );
    assert.ok(refused instanceof Anthropic.BadRequestError, `the SDK's own error, got ${String(refused)}`);
    const blocked = page.locator('.activity-table .row', { hasText: 'redacted: private-keys 1' });
    await blocked.waitFor({ timeout: 10_000 });
    assert.equal(await blocked.getAttribute('data-outcome'), 'denied');
    assert.equal((await blocked.locator('.outcome').textContent())?.trim(), 'denied 400');
    await screenshot(page, 'activity-redaction');

    // The stand-in got the masked body only; the page shows no planted value.
    const got = stub.bodies.slice(from).map((b) => b.toString('latin1'));
    assert.equal(got.length, 1, 'the blocked body never went upstream');
    assert.match(got[0] as string, /\[REDACTED:cloud-keys:[0-9a-f]{6}\].*\[REDACTED:email:[0-9a-f]{6}\]/);
    // The whole DOM, tooltips (title attributes) included.
    const shown = await page.content();
    for (const value of [AWS, EMAIL, EMAIL.toUpperCase(), PEM_BODY]) {
      assert.ok(!(got[0] as string).includes(value), `the stand-in received ${value.slice(0, 8)}…`);
      assert.ok(!shown.includes(value), `the page shows ${value.slice(0, 8)}…`);
    }
    // The bundle's CSP meta tag's frame-ancestors note is Chromium's, not ours.
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored/.test(e)),
      [],
    );
  });
});
