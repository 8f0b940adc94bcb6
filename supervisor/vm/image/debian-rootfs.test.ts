import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  hostMirror,
  parseDeb822Sources,
  parseOneLineSources,
  parseOsReleaseCodename,
  pickMirror,
} from './apt-sources.ts';
import {
  aptInstallArgs,
  debootstrapArgs,
  explainFailure,
  packageVersions,
  preflight,
} from './debian-rootfs.ts';
import { debugfsTimeCommands, dirBytes, mkfsArgs, planExt4, treeSize, uuidFromHex } from './ext4-image.ts';
import type { RunCommand } from './host-tools.ts';
import { shrinkRootfs } from './rootfs-shrink.ts';

const DEB822 = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
`;

test('os-release codename, quoted or not', () => {
  assert.equal(parseOsReleaseCodename('NAME="Debian"\nVERSION_CODENAME=bookworm\n'), 'bookworm');
  assert.equal(parseOsReleaseCodename('VERSION_CODENAME="trixie"'), 'trixie');
  assert.equal(parseOsReleaseCodename('PRETTY_NAME="Debian sid"\nVERSION_CODENAME=\n'), undefined);
});

test('deb822 sources: the stanza that carries the suite itself, not -security', () => {
  const sources = parseDeb822Sources(DEB822);
  assert.equal(sources.length, 2);
  assert.deepEqual(sources[0]!.suites, ['bookworm', 'bookworm-updates']);
  assert.equal(pickMirror(sources, 'bookworm'), 'http://deb.debian.org/debian');
  assert.equal(pickMirror(sources, 'bookworm-security'), 'http://deb.debian.org/debian-security');
  assert.equal(pickMirror(sources, 'trixie'), undefined);
});

test('deb822: disabled stanzas, deb-src only and folded fields', () => {
  const text =
    'Types: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\n\n' +
    'Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\nComponents: main\n\n' +
    'Types: deb\nURIs:\n http://a.example/debian/\nSuites: bookworm\nComponents: main contrib\n';
  assert.equal(pickMirror(parseDeb822Sources(text), 'bookworm'), 'http://a.example/debian');
});

test('one-line sources with options, comments and other schemes', () => {
  const text = [
    '# deb http://commented.example/debian bookworm main',
    'deb cdrom:[Debian 12]/ bookworm main',
    'deb-src http://src.example/debian bookworm main',
    'deb [arch=amd64 signed-by=/k.gpg] https://mirror.example/debian/ bookworm main contrib',
    'deb http://late.example/debian bookworm main',
  ].join('\n');
  const sources = parseOneLineSources(text);
  assert.equal(sources.length, 4);
  assert.equal(pickMirror(sources, 'bookworm'), 'https://mirror.example/debian');
  assert.equal(
    pickMirror(parseOneLineSources('deb http://x.example/debian bookworm contrib'), 'bookworm'),
    undefined,
  );
});

test('hostMirror reads sources.list and sources.list.d, falls back to deb.debian.org', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'warden-apt-'));
  try {
    assert.deepEqual(hostMirror('bookworm', root), {
      mirror: 'http://deb.debian.org/debian',
      fromHost: false,
    });
    mkdirSync(path.join(root, 'etc/apt/sources.list.d'), { recursive: true });
    writeFileSync(path.join(root, 'etc/apt/sources.list.d/x.sources.disabled'), DEB822);
    writeFileSync(
      path.join(root, 'etc/apt/sources.list.d/y.sources'),
      DEB822.replace('deb.debian.org', 'm.example'),
    );
    assert.deepEqual(hostMirror('bookworm', root), { mirror: 'http://m.example/debian', fromHost: true });
    writeFileSync(path.join(root, 'etc/apt/sources.list'), 'deb http://first.example/debian bookworm main\n');
    assert.equal(hostMirror('bookworm', root).mirror, 'http://first.example/debian');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('debootstrap and apt arguments', () => {
  assert.deepEqual(
    debootstrapArgs({
      suite: 'bookworm',
      dir: '/var/tmp/r',
      mirror: 'http://deb.debian.org/debian',
      include: ['ca-certificates', 'curl'],
      cacheDir: '/var/tmp/c/debs',
    }),
    [
      '--variant=minbase',
      '--components=main',
      '--include=ca-certificates,curl',
      '--cache-dir=/var/tmp/c/debs',
      'bookworm',
      '/var/tmp/r',
      'http://deb.debian.org/debian',
    ],
  );
  const apt = aptInstallArgs('/var/tmp/r', ['python3', 'git']);
  assert.equal(apt[0], '/var/tmp/r');
  assert.ok(apt.includes('--no-install-recommends'));
  assert.deepEqual(apt.slice(-3), ['install', 'python3', 'git']);
});

test('installed versions from dpkg status', () => {
  const status =
    'Package: nodejs\nStatus: install ok installed\nArchitecture: amd64\nVersion: 18.20.4+dfsg-1~deb12u2\n\n' +
    'Package: npm\nStatus: deinstall ok config-files\nVersion: 9.2.0~ds1-1\n\n' +
    'Package: git\nStatus: install ok installed\nVersion: 1:2.39.5-0+deb12u2\n';
  assert.deepEqual(packageVersions(status, ['nodejs', 'npm', 'git']), {
    nodejs: '18.20.4+dfsg-1~deb12u2',
    git: '1:2.39.5-0+deb12u2',
  });
});

test('errors name the problem and the fix', () => {
  const fake: RunCommand = () => ({ status: null, stdout: '', stderr: 'not found' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-pre-'));
  try {
    const problems = preflight(fake, 1000, dir).join('\n');
    assert.match(problems, /needs root.*sudo/s);
    // debootstrap may be installed on this machine; when it is not, the fix is named.
    writeFileSync(path.join(dir, 'x'), '');
    assert.match(preflight(fake, 0, dir).join('\n'), /not empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ctx = { mirror: 'http://m.example/debian', suite: 'bookworm', dir: '/var/tmp/r' };
  assert.match(
    explainFailure('debootstrap', 'E: Failed getting release file http://m...', ctx),
    /cannot be reached.*--mirror/s,
  );
  assert.match(
    explainFailure('debootstrap', 'E: Release signed by unknown key', ctx),
    /debian-archive-keyring/,
  );
  assert.match(explainFailure('apt-get install', 'dpkg: error', ctx), /partial tree is in \/var\/tmp\/r/);
});

test('ext4 sizing: content, inode tables and metadata, plus slack, in MiB', () => {
  const plan = planExt4({ inodes: 40_000, dataBlocks: 100_000 });
  assert.equal(plan.inodes, 44_064);
  const content = (100_000 + Math.ceil((44_064 * 256) / 4096)) * 4096;
  assert.ok(plan.sizeBytes > content * 1.05 && plan.sizeBytes < content * 1.08, String(plan.sizeBytes));
  assert.equal(plan.sizeBytes % (1024 * 1024), 0);
  // Small trees get the minimum slack.
  assert.ok(planExt4({ inodes: 10, dataBlocks: 10 }).sizeBytes >= 8 * 1024 * 1024);
  assert.equal(dirBytes([]), 24);
  assert.equal(dirBytes(['a', 'abcde']), 24 + 12 + 16);
});

test('mkfs and debugfs arguments', () => {
  const args = mkfsArgs({
    rootDir: '/r',
    outFile: '/o.img',
    plan: { sizeBytes: 64 * 1024 * 1024, inodes: 1000 },
    uuid: uuidFromHex('0123456789abcdef0123456789abcdef'),
    hashSeed: 'h',
    label: 'l',
  });
  assert.deepEqual(args.slice(-4), ['-d', '/r', '/o.img', '65536k']);
  assert.ok(args.includes('01234567-89ab-cdef-0123-456789abcdef'));
  assert.ok(args.includes('^has_journal,^resize_inode'));
  assert.equal(
    debugfsTimeCommands(['/', '/a "b"', '/x\ny'], 5),
    'sif "/" atime @5\nsif "/" ctime @5\nsif "/a ""b""" atime @5\nsif "/a ""b""" ctime @5\n',
  );
});

test('treeSize counts hard links once and hashes the listing; shrinkRootfs keeps copyright and C.utf8', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'warden-tree-'));
  try {
    for (const d of [
      'usr/share/doc/git',
      'usr/share/man/man1',
      'usr/share/locale/de',
      'usr/lib/locale/C.utf8',
      'usr/lib/locale/de_DE.utf8',
      'var/lib/apt/lists/partial',
      'var/log/apt',
      'etc',
    ])
      mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, 'usr/share/doc/git/copyright'), 'GPL');
    writeFileSync(path.join(root, 'usr/share/doc/git/changelog.gz'), 'x'.repeat(5000));
    writeFileSync(path.join(root, 'usr/share/man/man1/git.1.gz'), 'x');
    writeFileSync(path.join(root, 'usr/share/locale/locale.alias'), 'a');
    writeFileSync(path.join(root, 'usr/lib/locale/C.utf8/LC_CTYPE'), 'c');
    writeFileSync(path.join(root, 'var/lib/apt/lists/x_Packages'), 'p');
    writeFileSync(path.join(root, 'var/log/apt/term.log'), 'l');
    symlinkSync('copyright', path.join(root, 'usr/share/doc/git/link'));
    writeFileSync(path.join(root, 'etc/big'), 'x'.repeat(10_000));
    linkSync(path.join(root, 'etc/big'), path.join(root, 'etc/big2'));
    const before = treeSize(root);
    assert.ok(before.bytes >= 15_000 && before.bytes < 20_000, String(before.bytes));
    shrinkRootfs(root);
    const after = treeSize(root);
    const has = (p: string): boolean => after.paths.includes(p);
    assert.ok(has('/usr/share/doc/git/copyright') && !has('/usr/share/doc/git/changelog.gz'));
    assert.ok(has('/usr/share/man') && !has('/usr/share/man/man1'));
    assert.ok(has('/usr/share/locale/locale.alias') && !has('/usr/share/locale/de'));
    assert.ok(has('/usr/lib/locale/C.utf8/LC_CTYPE') && !has('/usr/lib/locale/de_DE.utf8'));
    assert.ok(has('/var/lib/apt/lists/partial') && !has('/var/lib/apt/lists/x_Packages'));
    assert.ok(has('/var/log/apt') && !has('/var/log/apt/term.log'));
    assert.ok(has('/etc/dpkg/dpkg.cfg.d/warden-nodoc'));
    assert.notEqual(after.listingSha256, before.listingSha256);
    assert.equal(treeSize(root).listingSha256, after.listingSha256);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
