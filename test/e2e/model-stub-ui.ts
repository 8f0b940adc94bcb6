// The app in Chromium against a daemon whose model hosts (models.test) are the loopback
// stand-in of the providers' APIs (test/support/model-spend-stubs.ts), trusted through its
// own CA: what the Spend and redaction views are tested with.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';
import { type SpendStub, startSpendStub } from '../support/model-spend-stubs.ts';
import { launchChromium, openUi, startUiDaemon, type UiDaemon } from './support.ts';

export interface ModelStubUi {
  stub: SpendStub;
  d: UiDaemon;
  browser: Browser;
  page: Page;
  /** Errors the page reported. */
  errors: string[];
  close(): Promise<void>;
}

/** Start the stand-in, the daemon and Chromium on the app; `close` stops all of them. */
export async function startModelStubUi(name: string): Promise<ModelStubUi> {
  const caDir = await mkdtemp(path.join(os.tmpdir(), `warden-${name}-ui-ca-`));
  const parts: Partial<ModelStubUi> = {};
  const close = async () => {
    await parts.browser?.close();
    await parts.d?.stop();
    await parts.stub?.close();
    await rm(caDir, { recursive: true, force: true });
  };
  try {
    const ca = await CertificateAuthority.loadOrCreate(caDir);
    parts.stub = await startSpendStub(ca);
    parts.d = await startUiDaemon({ upstreamCa: [ca.certPem], resolve: { 'models.test': '127.0.0.1' } });
    parts.browser = await launchChromium();
    const { page, errors } = await openUi(parts.browser, parts.d.openUrl);
    return { ...(parts as Required<Omit<ModelStubUi, 'page' | 'errors' | 'close'>>), page, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}
