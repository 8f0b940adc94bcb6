// The Lens renderer in Chromium (test/support/lens-renderer-suite.ts): long work shows on the
// Agents page with its step (an image build held at its first step, an audit verify started
// elsewhere), and Cancel stops it. Screenshots in test-artifacts/.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { screenshot } from '../e2e/support.ts';
import { startTestDaemon } from '../support/daemon.ts';
import { heldImageBuild } from '../support/fake-image-build.ts';
import { lensRendererSuite, rendererSkip } from '../support/lens-renderer-suite.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('the renderer in Chromium: long work', { skip: rendererSkip() }, () => {
  const suite = lensRendererSuite();

  for (const flavor of ['freelens2', 'legacy'] as const) {
    test(`${flavor}: long work shows on the Agents page with its step, and Cancel stops it`, async (t) => {
      const build = heldImageBuild(tempDir(t));
      const d = await startTestDaemon({
        label: 'lens-ui',
        daemon: { poolSize: 0, imageBuildCommand: build.command },
      });
      t.after(() => d.stop());
      const { lp, page } = await suite.open(t, flavor, d.home);
      await page.locator('.warden-status[data-warden-status="connected"]').waitFor({ timeout: 15_000 });
      await page.locator('.warden-status').click();
      await page.locator('[data-warden-page]').waitFor();
      assert.equal(await page.locator('.warden-tasks').count(), 0, 'no section without long work');
      const create = d.client
        .call('POST /v1/sandboxes', { body: { label: 'needs-an-image' } })
        .catch((e: Error) => e);
      const row = page.locator('.warden-task.running');
      await row
        .locator('.warden-task-step', { hasText: 'downloading the kernel' })
        .waitFor({ timeout: 15_000 });
      assert.equal(await row.locator('strong').textContent(), 'Building the minimal guest image');
      assert.equal(await row.locator('progress').getAttribute('value'), null, 'indeterminate');
      await screenshot(page, `lens-${flavor}-task-running`);
      await row.getByRole('button', { name: /Cancel: Building/ }).click();
      const ended = page.locator('.warden-task.cancelled');
      await ended.waitFor({ timeout: 10_000 });
      assert.match((await ended.textContent()) ?? '', /cancelled after \d+ s/);
      assert.match(String(await create), /cancelled by a user/);
      await screenshot(page, `lens-${flavor}-task-cancelled`);
      // Any kind shows the same way: an audit verify started elsewhere (the desktop app).
      const verify = await d.client.call('POST /v1/audit/verify');
      const verified = page.locator(`.warden-task.done[data-task="${verify.taskId}"]`);
      await verified.waitFor({ timeout: 15_000 });
      assert.equal(await verified.locator('strong').textContent(), 'Verifying the audit chain');
      assert.match((await verified.textContent()) ?? '', /done after \d+ s/);
      assert.deepEqual(lp.errors, []);
    });
  }
});
