import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { makeTempDir } from '../../test/support/temp-dir.ts';
import { SyncLedger } from '../audit/index.ts';
import { SyncLink } from './link.ts';

const quiet = { info() {}, warn() {}, error() {} };

test('undefined options take the defaults (an unset WARDEN_SYNC_HEARTBEAT_MS is not NaN)', () => {
  const { dir, dispose } = makeTempDir();
  const ledger = SyncLedger.open(path.join(dir, 'audit.db'));
  try {
    const link = new SyncLink({
      ledger,
      keyFile: path.join(dir, 'sync.key'),
      log: quiet,
      user: 'u',
      version: '0',
      heartbeatMs: undefined,
      pollMs: undefined,
    });
    assert.equal(link.status().state, 'off');
    assert.deepEqual(link.timings, {
      heartbeatMs: 60_000,
      batchDelayMs: 250,
      pollMs: 1000,
      timeoutMs: 30_000,
      parkMs: 300_000,
    });
  } finally {
    ledger.close();
    dispose();
  }
});
