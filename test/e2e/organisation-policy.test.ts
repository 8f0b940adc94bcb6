// The desktop Policy view under an organisation policy, in Chromium against a real daemon
// whose managed folder holds a root-owned managed.yaml: the view shows what the organisation
// fixed and where from, and an edit that weakens it is refused with the organisation rule
// named, changing nothing.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { policyHash } from '../../supervisor/policy/index.ts';
import { makeTempDir, type TempDir } from '../support/temp-dir.ts';
import { launchChromium, openUi, screenshot, skipReason, startUiDaemon, type UiDaemon } from './support.ts';

const ORG_POLICY = [
  'apiVersion: warden.dev/v1',
  'kind: Policy',
  'metadata: { name: acme-it }',
  'spec:',
  '  network:',
  '    default: ask',
  '    rules:',
  '      - { match: evil.test, action: deny }',
  '  approvals: { timeoutSeconds: 60 }',
  '  packages: { npm: { installScripts: ask, approver: it } }',
  '',
].join('\n');

const skip = skipReason() ?? (process.getuid?.() === 0 ? null : 'needs root to own the managed file');

describe('Policy view with an organisation policy', { skip: skip ?? false }, () => {
  let tmp: TempDir;
  let d: UiDaemon;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    tmp = makeTempDir('wmanaged-ui-');
    const dir = path.join(tmp.dir, 'warden');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeFileSync(path.join(dir, 'managed.yaml'), ORG_POLICY, { mode: 0o644 });
    d = await startUiDaemon({ daemon: { managedDir: dir } });
    browser = await launchChromium();
    ({ page, errors } = await openUi(browser, d.openUrl));
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
    tmp?.dispose();
  });

  test('shows what the organisation fixed, and refuses a weakening edit naming its rule', async () => {
    await page.locator('body').press('3');
    await page.locator('h1', { hasText: 'Policy' }).waitFor();
    const panel = page.locator('section.organisation');
    await panel.waitFor({ timeout: 10_000 });
    const text = (await panel.textContent()) ?? '';
    assert.match(text, /Fixed by your organisation/);
    assert.match(text, /Managed file: .*managed\.yaml/);
    assert.match(text, new RegExp(policyHash(ORG_POLICY).slice(0, 19)));
    assert.match(text, /signed by root/);
    assert.match(text, /Default at most ask/);
    assert.match(text, /Approvals time out within 60 s/);
    assert.match(text, /npm packages: install scripts ask, its asks answered by IT on the team hub/);

    const before = await d.client.call('GET /v1/policy');
    const editor = page.locator('#policy-editor');
    await editor.fill(
      [
        'apiVersion: warden.dev/v1',
        'kind: Policy',
        'metadata: { name: mine }',
        'spec:',
        '  network:',
        '    default: allow',
        '    rules: []',
        '',
      ].join('\n'),
    );
    await page.locator('p.ok', { hasText: 'Valid.' }).waitFor();
    // The preview (a dry run) is refused already: Apply never becomes possible.
    await page.getByRole('button', { name: 'Preview changes' }).click();
    const refusal = page.locator('.state.error', { hasText: 'PolicyLockedByOrganisation' });
    await refusal.waitFor({ timeout: 10_000 });
    const message = (await refusal.textContent()) ?? '';
    assert.match(message, /default allow is more permissive than the organisation's default ask/);
    assert.match(
      message,
      /What to do: the organisation fixed this \(spec\.network\.default: ask of the organisation policy/,
    );
    await screenshot(page, 'policy-organisation-refused');
    assert.ok(await page.getByRole('button', { name: 'Apply' }).isDisabled());
    assert.deepEqual(await d.client.call('GET /v1/policy'), before);
    assert.deepEqual(
      errors.filter((e) => !/frame-ancestors' is ignored|403/.test(e)),
      [],
    );
  });
});
