// Shrinks a freshly debootstrapped tree without touching what node, npm, git, python3 or
// curl use: apt's package lists and caches, logs, documentation (copyright files stay),
// manual and info pages, message translations and compiled locales other than C.UTF-8.
// A dpkg drop-in keeps later `apt-get install`s in the guest from bringing them back.

import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Folders whose whole contents go (the folders themselves stay). */
export const EMPTIED_DIRS = [
  'var/lib/apt/lists',
  'var/cache/apt',
  'var/cache/apt/archives',
  'var/cache/debconf',
  'var/cache/man',
  'var/cache/ldconfig',
  'usr/share/man',
  'usr/share/info',
  'usr/share/lintian',
  'usr/share/linda',
];

/** Entries to keep inside folders that are otherwise emptied. */
export const KEPT: Record<string, (name: string) => boolean> = {
  // debconf's databases live in var/cache/debconf; only their -old backups go.
  'var/cache/debconf': (n) => !n.endsWith('-old'),
  // apt expects these folders to exist.
  'var/cache/apt': (n) => n === 'archives',
  'var/cache/apt/archives': (n) => n === 'partial',
  'var/lib/apt/lists': (n) => n === 'partial',
};

export const DPKG_NODOC = `# Written by the Warden image builder: no documentation or translations in this image.
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
`;

function emptyDir(dir: string, keep: (name: string) => boolean = () => false): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (!keep(name)) rmSync(full, { recursive: true, force: true });
  }
}

function removeFiles(dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (lstatSync(full).isDirectory()) removeFiles(full);
    else rmSync(full, { force: true });
  }
}

/** Removes from ROOT what the guest does not need; returns the relative paths it emptied or pruned. */
export function shrinkRootfs(root: string): string[] {
  const done: string[] = [];
  for (const rel of EMPTIED_DIRS) {
    emptyDir(path.join(root, rel), KEPT[rel]);
    done.push(rel);
  }
  // Logs: the files go, the folders (apt/, ...) stay for the programs that write there.
  removeFiles(path.join(root, 'var/log'));
  done.push('var/log');
  // Documentation: keep each package's copyright file, drop the rest.
  const doc = path.join(root, 'usr/share/doc');
  if (existsSync(doc)) {
    for (const pkg of readdirSync(doc)) {
      const full = path.join(doc, pkg);
      if (!lstatSync(full).isDirectory()) {
        rmSync(full, { force: true });
        continue;
      }
      emptyDir(full, (n) => n === 'copyright');
    }
    done.push('usr/share/doc');
  }
  // Message translations (English stays, built into the programs); locale.alias is a file.
  const locale = path.join(root, 'usr/share/locale');
  if (existsSync(locale)) {
    for (const name of readdirSync(locale)) {
      const full = path.join(locale, name);
      if (lstatSync(full).isDirectory()) rmSync(full, { recursive: true, force: true });
    }
    done.push('usr/share/locale');
  }
  // Compiled locales: only C.UTF-8 (glibc's C.utf8).
  emptyDir(path.join(root, 'usr/lib/locale'), (n) => n === 'C.utf8' || n === 'C.UTF-8');
  done.push('usr/lib/locale');
  // dpkg's -old backups.
  const dpkg = path.join(root, 'var/lib/dpkg');
  if (existsSync(dpkg)) {
    for (const name of readdirSync(dpkg))
      if (name.endsWith('-old')) rmSync(path.join(dpkg, name), { force: true });
  }
  // debootstrap copies the host's hostname and resolver into the tree; the image must not carry them.
  writeFileSync(path.join(root, 'etc/hostname'), 'warden\n');
  writeFileSync(path.join(root, 'etc/resolv.conf'), '');
  mkdirSync(path.join(root, 'etc/dpkg/dpkg.cfg.d'), { recursive: true });
  writeFileSync(path.join(root, 'etc/dpkg/dpkg.cfg.d/warden-nodoc'), DPKG_NODOC);
  return done;
}
