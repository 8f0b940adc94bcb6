// Waiting for a bench daemon's warm VM pool: polls its status until a VM is ready.

import path from 'node:path';
import { ApiClient } from '../../supervisor/client/api-client.ts';

/** Resolves once the daemon under `home` has a warm VM ready; throws after 120 s. */
export async function warmPoolReady(home: string, pollMs = 100): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const client = await ApiClient.fromFiles(path.join(home, 'warden.sock'), path.join(home, 'token'));
      if (((await client.call('GET /v1/status')).vm?.pool.ready ?? 0) >= 1) return;
    } catch {}
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error('the warm pool did not fill within 120 s');
}
