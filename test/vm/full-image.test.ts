// The full guest image end to end: built from Debian packages with debootstrap (minutes;
// an image from the same recipe is reused), its root filesystem checked by e2fsck, then
// booted by `warden run` behind a governed proxy. Inside, the tools agents need run, and
// npm, Python and git each reach an allowed HTTPS host through the proxy, trusting the
// Warden CA through the variables init sets. Needs root, debootstrap and e2fsprogs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findDebootstrap } from '../../supervisor/vm/image/debian-rootfs.ts';
import { runCommand } from '../../supervisor/vm/image/host-tools.ts';
import type { BuiltImage } from '../../supervisor/vm/index.ts';
import { startUpstreams, type Upstreams } from '../support/upstreams.ts';
import { runWarden } from './cli.ts';
import { buildFullTestImage, linkImage } from './image.ts';

function skipReason(): string | undefined {
  if (process.env.WARDEN_SKIP_DEBOOTSTRAP_TEST === '1') return 'WARDEN_SKIP_DEBOOTSTRAP_TEST=1';
  if (process.getuid?.() !== 0) return 'debootstrap needs root';
  if (!findDebootstrap(runCommand)) return 'debootstrap is not installed (apt-get install debootstrap)';
  return undefined;
}

describe('the full image (Debian userland) under warden run', {
  skip: skipReason(),
  timeout: 1_500_000,
}, () => {
  let built: BuiltImage;
  let home: string;
  let up: Upstreams;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    const t = Date.now();
    built = await buildFullTestImage();
    process.stderr.write(
      `full image ${built.image.id.slice(0, 12)}: ${built.reused ? 'reused' : 'built'} in ${((Date.now() - t) / 1000).toFixed(1)} s, ` +
        `${(built.sizeBytes / 2 ** 20).toFixed(0)} MiB\n`,
    );
    home = mkdtempSync('/tmp/wfull-');
    linkImage(home, built.image);
    up = await startUpstreams();
    env = {
      ...process.env,
      WARDEN_HOME: home,
      WARDEN_ACCEL: 'tcg',
      WARDEN_IMAGE: 'full',
      WARDEN_POOL_SIZE: '0',
      WARDEN_RESOLVE: 'api.test=127.0.0.1,denied.test=127.0.0.1',
      WARDEN_UPSTREAM_CA: up.caFile,
    };
  });

  after(async () => {
    try {
      if (home) process.kill(Number(readFileSync(path.join(home, 'daemon.pid'), 'utf8').trim()), 'SIGTERM');
    } catch {}
    await new Promise((r) => setTimeout(r, 3000)); // the daemon stops its VMs on SIGTERM
    await up?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  test('its root filesystem is a clean ext4 that e2fsck accepts', () => {
    const r = spawnSync('e2fsck', ['-fn', built.image.rootfsPath!], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(built.image.manifest.name, 'full');
  });

  test('node, npm, git, python3 and curl run; npm, Python and git reach HTTPS through the proxy with the Warden CA', async () => {
    const policy = path.join(home, 'policy.yaml');
    writeFileSync(
      policy,
      'apiVersion: warden.dev/v1\nkind: Policy\nmetadata: {name: full-image}\n' +
        'spec:\n  network:\n    default: deny\n    rules:\n      - match: api.test\n        action: allow\n' +
        // Terminated by the proxy, so the guest meets a certificate of the Warden CA (a
        // spliced tunnel would show the test upstream's own, which the guest rightly refuses).
        '        tls: inspect\n' +
        // The test's upstreams listen on loopback, which needs a rule naming it.
        '      - match: 127.0.0.1\n        action: allow\n',
    );
    const base = `https://api.test:${up.httpsPort}`;
    const script = [
      'set -e',
      'echo "node $(node --version)"',
      'echo "npm $(npm --version)"',
      'echo "npm uses $(node -p process.version) at $(command -v node)"',
      `echo "root size $(df -Pm / | awk 'NR==2{print $2}') MiB"`,
      'git --version',
      'python3 --version',
      'curl --version | head -1',
      'test -x /usr/bin/script && echo "script ok"',
      'test $(wc -c < /etc/ssl/certs/ca-certificates.crt) -gt 100000 && echo "ca bundle ok"',
      'test ! -e /usr/share/man/man1 && echo "shrunk ok"',
      `npm ping --registry ${base}/npm/ 2>&1 | tail -1`,
      `python3 -c "import json,urllib.request; print('python', json.load(urllib.request.urlopen('${base}/python'))['url'])"`,
      `git ls-remote ${base}/repo.git 2>&1 | tail -1 || true`,
      `curl -s -o /dev/null -w 'denied %{http_connect} %{http_code}\\n' https://denied.test:${up.httpsPort}/nope || true`,
    ].join('\n');
    // Not spawnSync: the upstreams answer from this process's event loop.
    const r = await runWarden(['run', '--policy', policy, '--', 'sh', '-c', script], env, {
      timeoutMs: 900_000,
    });
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^node v(2[2-9]|[3-9]\d)\./m, 'the pinned Node, 22 or newer (Debian’s is 18)');
    assert.match(out, /^npm 11\./m);
    assert.match(out, /^npm uses v2[2-9]\.\d+\.\d+ at \/usr\/local\/bin\/node$/m);
    const rootMiB = Number(/^root size (\d+) MiB$/m.exec(out)?.[1]);
    assert.ok(rootMiB > 7000, `the writable layer is the 8 GiB sandbox disk, not RAM: ${rootMiB} MiB`);
    assert.match(out, /^git version \d/m);
    assert.match(out, /^Python 3\./m);
    assert.match(out, /^curl \d/m);
    assert.match(out, /^script ok$/m, 'util-linux script (the PTY helper)');
    assert.match(out, /^ca bundle ok$/m, 'Debian’s CA bundle (with the Warden CA appended)');
    assert.match(out, /^shrunk ok$/m, 'man pages were left out of the image');
    assert.match(out, /^python \/python$/m, 'Python verified the proxy’s certificate (SSL_CERT_FILE)');
    const seen = (p: string) => up.received.find((x) => x.url.startsWith(p) && x.secure);
    assert.ok(seen('/npm/-/ping'), `npm reached the registry over HTTPS: ${out}`);
    assert.ok(seen('/repo.git/info/refs'), `git reached the server over HTTPS (GIT_SSL_CAINFO): ${out}`);
    // Refused at CONNECT, or (when the tunnel is opened to answer inside it) on the request.
    assert.match(out, /^denied (403 \d{3}|200 403)$/m, 'a host the policy denies gets the explaining 403');
    assert.ok(!up.received.some((x) => x.url === '/nope'));
  });
});
