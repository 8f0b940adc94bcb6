// The connection's version handshake against a real daemon: a daemon of another release
// line is not followed (no stream, no approvals, answers refused with what to do), and the
// state says which side to update.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Snapshot } from '../../extension/src/common/ipc.ts';
import { WardenConnection } from '../../extension/src/main/connection.ts';
import { daemonLocation } from '../../extension/src/main/daemon-location.ts';
import { VERSION } from '../../supervisor/api/version.ts';
import { startTestDaemon, until } from '../support/daemon.ts';

for (const [extensionVersion, newer] of [
  ['99.0.0', 'extension'],
  ['0.0.1', 'daemon'],
] as const) {
  test(`an extension of ${extensionVersion} and a daemon of ${VERSION}: the ${newer} is newer, and nothing is followed`, async (t) => {
    const d = await startTestDaemon();
    t.after(() => d.stop());
    const changes: Snapshot[] = [];
    const logs: string[] = [];
    const connection = new WardenConnection({
      locate: () =>
        daemonLocation({ env: { WARDEN_HOME: d.home }, platform: process.platform, homedir: '/' }),
      extensionVersion,
      backoff: { initialMs: 50, maxMs: 100 },
      log: (level, line) => logs.push(`${level} ${line}`),
      onChange: (s) => changes.push(s),
    });
    connection.start();
    t.after(() => connection.stop());
    const state = await until('the version-mismatch state', () => {
      const c = connection.snapshot().connection;
      return c.kind === 'version-mismatch' && c;
    });
    assert.equal(state.newer, newer);
    assert.equal(state.daemonVersion, VERSION);
    assert.equal(state.extensionVersion, extensionVersion);
    assert.match(state.hint, newer === 'daemon' ? /install the Warden extension/ : /update Warden/);
    const answer = await connection.answer('any', { decision: 'allow', scope: 'once' });
    assert.equal(answer.ok, false);
    assert.equal(!answer.ok && answer.error.hint, state.hint);
    // Several retries later: still not connected, and said once in the log, not at every retry.
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(changes.every((s) => s.connection.kind !== 'connected'));
    assert.equal(
      logs.filter((l) => l.includes('newer')).length + logs.filter((l) => l.includes('older')).length,
      1,
    );
  });
}
