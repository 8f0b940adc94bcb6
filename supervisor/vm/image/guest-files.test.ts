// The image's profile is sourced again by every login shell inside the guest (`sh -l`, `su -`,
// `bash -l`): it must keep the proxy URL with the listener credential that the command got
// over the control channel, and set its own (credential-less) defaults only when none is set.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../test/support/temp-dir.ts';
import { GUEST_PROXY_URL, profileScript } from './guest-files.ts';

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy'];

/** Source the profile in a POSIX shell with `env`; the proxy variables it leaves. */
function afterProfile(dir: string, env: Record<string, string>): Record<string, string> {
  const file = path.join(dir, 'warden.sh');
  writeFileSync(file, profileScript());
  const script = `. "$1"; for v in ${PROXY_VARS.join(' ')}; do eval "printf '%s=%s\\n' $v \\"\\$$v\\""; done`;
  const out = execFileSync('/bin/sh', ['-c', script, 'sh', file], {
    env: { PATH: '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

test('a login shell keeps the proxy URL (with its credential) it was started with', (t) => {
  const withCredential = 'http://warden:s3cr3t@10.0.2.100:3128';
  const env = {
    HTTP_PROXY: withCredential,
    HTTPS_PROXY: withCredential,
    http_proxy: withCredential,
    https_proxy: withCredential,
    NO_PROXY: 'localhost,example.internal',
    no_proxy: 'localhost,example.internal',
  };
  assert.deepEqual(afterProfile(tempDir(t), env), env);
});

test('with no proxy set, the profile sets the defaults', (t) => {
  const vars = afterProfile(tempDir(t), {});
  assert.equal(vars.HTTP_PROXY, GUEST_PROXY_URL);
  assert.equal(vars.https_proxy, GUEST_PROXY_URL);
  assert.equal(vars.NO_PROXY, 'localhost,127.0.0.1,::1');
});
