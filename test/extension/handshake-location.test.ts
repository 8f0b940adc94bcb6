// The extension's version handshake, and where it looks for the daemon: the same folder,
// socket and token file as the CLI and the desktop app (supervisor/home), on every platform.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { daemonLocation } from '../../extension/src/main/daemon-location.ts';
import { handshake } from '../../extension/src/main/handshake.ts';
import { defaultHome, wardenPaths } from '../../supervisor/home/paths.ts';

test('the same release line is compatible; before 1.0 the minor counts', () => {
  assert.deepEqual(handshake('0.1.0', '0.1.7'), { ok: true });
  assert.deepEqual(handshake('1.2.0', '1.9.3'), { ok: true });
  assert.deepEqual(handshake('1.2.0', 'v1.0.0-rc.1'), { ok: true });
});

test('a newer daemon asks for a newer extension; an older one for a Warden update', () => {
  const newer = handshake('0.1.0', '0.2.0');
  assert.equal(newer.ok, false);
  assert.equal(!newer.ok && newer.newer, 'daemon');
  assert.match(!newer.ok ? newer.message : '', /daemon \(0\.2\.0\) is newer than this extension \(0\.1\.0\)/);
  assert.match(!newer.ok ? newer.hint : '', /extension of release 0\.2/);

  const older = handshake('2.0.0', '1.4.0');
  assert.equal(older.ok, false);
  assert.equal(!older.ok && older.newer, 'extension');
  assert.match(!older.ok ? older.hint : '', /update Warden to release 2\.0.*warden daemon/);
});

test('a version that cannot be read is refused, cut short in the message', () => {
  const odd = handshake('0.1.0', `garbage${'x'.repeat(500)}`);
  assert.equal(odd.ok, false);
  assert.ok(!odd.ok && odd.message.length < 200);
});

test('the daemon is looked for where supervisor/home puts it', () => {
  const homedir = '/home/someone';
  const cases: [NodeJS.ProcessEnv, NodeJS.Platform][] = [
    [{}, 'linux'],
    [{ XDG_DATA_HOME: '/data' }, 'linux'],
    [{ WARDEN_HOME: 'relative/warden' }, 'linux'],
    [{}, 'darwin'],
  ];
  for (const [env, platform] of cases) {
    // supervisor/home reads os.homedir(); give both the same one through HOME.
    const saved = process.env.HOME;
    process.env.HOME = homedir;
    try {
      const expected = wardenPaths(defaultHome(env, platform));
      assert.deepEqual(daemonLocation({ env, platform, homedir }), {
        home: expected.home,
        socket: expected.socket,
        tokenFile: expected.tokenFile,
      });
    } finally {
      process.env.HOME = saved;
    }
  }
  assert.equal(
    daemonLocation({ env: { WARDEN_HOME: '/a' }, platform: 'linux', homedir, chosen: '/chosen' }).home,
    '/chosen',
  );
});
