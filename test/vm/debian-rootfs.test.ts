// Builds the real Debian guest userland with debootstrap + apt (minutes: this suite took
// 4 min 10 s with a warm .deb cache on a loaded 2-CPU machine, the build itself 2 to 5 min
// depending on load; a cold cache adds the download of about 100 MB), checks the tools
// agents need inside it with chroot, then packs it into an ext4 image that e2fsck accepts
// and that comes out the same when made twice. Needs root, debootstrap, e2fsprogs and the
// Debian mirror; skipped otherwise, and when WARDEN_SKIP_DEBOOTSTRAP_TEST=1.
// The .deb cache lives in $WARDEN_DEBOOTSTRAP_CACHE (default /var/tmp/warden-debootstrap-cache).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  buildDebianRootfs,
  type DebianRootfs,
  findDebootstrap,
} from '../../supervisor/vm/image/debian-rootfs.ts';
import { makeExt4Image } from '../../supervisor/vm/image/ext4-image.ts';
import { runCommand } from '../../supervisor/vm/image/host-tools.ts';

const cacheDir = process.env.WARDEN_DEBOOTSTRAP_CACHE ?? '/var/tmp/warden-debootstrap-cache';

function skipReason(): string | undefined {
  if (process.env.WARDEN_SKIP_DEBOOTSTRAP_TEST === '1') return 'WARDEN_SKIP_DEBOOTSTRAP_TEST=1';
  if (process.getuid?.() !== 0) return 'debootstrap needs root';
  if (!findDebootstrap(runCommand)) return 'debootstrap is not installed (apt-get install debootstrap)';
  if (runCommand('mkfs.ext4', ['-V']).status === null) return 'e2fsprogs is not installed';
  return undefined;
}

const skip = skipReason();

describe('Debian guest rootfs (debootstrap, real build)', { skip, timeout: 900_000 }, () => {
  let work: string;
  let rootfs: DebianRootfs;

  before(async () => {
    work = mkdtempSync('/var/tmp/warden-rootfs-test-');
    const started = Date.now();
    rootfs = await buildDebianRootfs({
      dir: path.join(work, 'root'),
      cacheDir,
      log: (m) => process.stderr.write(`rootfs: ${m}\n`),
    });
    process.stderr.write(`rootfs: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const inRoot = (cmd: string, ...args: string[]): string => {
    const r = runCommand('chroot', [rootfs.dir, cmd, ...args]);
    assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };

  test('node (>= 18, the agent bundle target), npm, git, python3 and curl run inside the tree', () => {
    const node = inRoot('/usr/bin/node', '--version');
    assert.ok(Number(/^v(\d+)\./.exec(node)?.[1]) >= 18, node);
    assert.match(inRoot('/usr/bin/npm', '--version'), /^\d+\.\d+\.\d+$/);
    assert.match(inRoot('/usr/bin/git', '--version'), /^git version /);
    assert.match(inRoot('/usr/bin/python3', '--version'), /^Python 3\./);
    assert.match(inRoot('/usr/bin/curl', '--version'), /^curl \d/);
    assert.ok(existsSync(path.join(rootfs.dir, 'usr/bin/script')), 'util-linux script (bsdutils)');
    assert.ok(rootfs.versions.nodejs, JSON.stringify(rootfs.versions));
  });

  test('the CA bundle exists; docs, man pages and apt lists are gone', () => {
    assert.ok(statSync(path.join(rootfs.dir, 'etc/ssl/certs/ca-certificates.crt')).size > 100_000);
    assert.ok(!existsSync(path.join(rootfs.dir, 'usr/share/man/man1')));
    assert.ok(existsSync(path.join(rootfs.dir, 'usr/share/doc/git/copyright')));
    assert.ok(rootfs.sizeBytes < rootfs.unshrunkBytes);
    // TLS through the bundle, offline: Node loads it and Python's ssl module parses it.
    inRoot(
      '/usr/bin/node',
      '-e',
      "require('tls').createSecureContext({ca: require('fs').readFileSync('/etc/ssl/certs/ca-certificates.crt')})",
    );
    inRoot(
      '/usr/bin/python3',
      '-c',
      "import ssl; ssl.create_default_context(cafile='/etc/ssl/certs/ca-certificates.crt')",
    );
  });

  test('makeExt4Image: e2fsck -fn accepts it, and the same tree gives the same image', async () => {
    const a = await makeExt4Image(rootfs.dir, path.join(work, 'a.img'));
    const fsck = runCommand('e2fsck', ['-fn', a.file]);
    assert.equal(fsck.status, 0, fsck.stdout + fsck.stderr);
    assert.ok(a.sizeBytes > a.contentBytes && a.sizeBytes < a.contentBytes * 1.5, JSON.stringify(a));
    // Reading the tree (atime) between the builds must not change the image.
    inRoot('/usr/bin/node', '--version');
    const b = await makeExt4Image(rootfs.dir, path.join(work, 'b.img'));
    assert.equal(b.sha256, a.sha256);
    process.stderr.write(
      `rootfs: ext4 ${(a.sizeBytes / 2 ** 20).toFixed(1)} MiB in ${(a.buildMs / 1000).toFixed(1)} s\n`,
    );
  });
});
