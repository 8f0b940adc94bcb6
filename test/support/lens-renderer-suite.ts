// The harness of the Lens renderer tests (test/extension/lens-renderer*.test.ts): inside a
// describe, both extension packages are built and the upstreams and Debian's Chromium started
// once; each test opens its host's renderer page, joined by the IPC stand-in to the main-side
// stand-in (freelens-host.ts) of a real daemon's state folder.

import path from 'node:path';
import { after, before, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildPackages } from '../../extension/build.mjs';
import { skipReason as chromiumMissing, launchChromium } from '../e2e/support.ts';
import { type LoadedExtension, loadFreelensExtension } from './freelens-host.ts';
import { hostLibsMissing, type LensPage, openLensPage, type RendererFlavor } from './lens-renderer-host.ts';
import { makeTempDir, type TempDir } from './temp-dir.ts';
import { startUpstreams, type Upstreams } from './upstreams.ts';

/** Why the renderer tests cannot run here (no Chromium), else false: a describe's `skip`. */
export function rendererSkip(): string | false {
  const missing = chromiumMissing();
  return missing?.startsWith('no Chromium') ? missing : false;
}

export interface LensRendererSuite {
  /** The upstream servers (started in the describe's `before`). */
  up(): Upstreams;
  /** Main (stand-in host, real daemon at `home`) and the renderer page joined by the IPC. */
  open(
    t: TestContext,
    flavor: RendererFlavor,
    home: string,
  ): Promise<{ ext: LoadedExtension; lp: LensPage; page: Page }>;
}

/** Call inside a describe: its `before` builds and starts what the tests share, its `after` ends it. */
export function lensRendererSuite(): LensRendererSuite {
  let built: TempDir | undefined;
  let up: Upstreams | undefined;
  let browser: Browser | undefined;
  const pkg = (flavor: RendererFlavor): string =>
    path.join(built!.dir, flavor === 'freelens2' ? 'freelens' : 'legacy');
  before(async () => {
    const missing = hostLibsMissing();
    if (missing) throw new Error(missing);
    built = makeTempDir('warden-lens-ui-');
    await buildPackages({ dist: built.dir });
    up = await startUpstreams();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await up?.close();
    built?.dispose();
  });
  return {
    up: () => up!,
    async open(t, flavor, home) {
      process.env.WARDEN_HOME = home;
      let lp: LensPage | undefined;
      const ext = await loadFreelensExtension(pkg(flavor), {
        host: flavor === 'freelens2' ? 'freelens2' : 'freelens1',
        onBroadcast: (b) => lp?.forward(b),
      });
      t.after(() => ext.deactivate());
      lp = await openLensPage(browser!, flavor, pkg(flavor), () => ext);
      t.after(() => lp?.close());
      await lp.load();
      return { ext, lp, page: lp.page };
    },
  };
}
