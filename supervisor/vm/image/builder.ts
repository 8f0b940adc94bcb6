// Builds guest images: Debian's generic kernel (uncompressed), a small stage-1 initramfs,
// and a read-only ext4 root filesystem holding a userland plus the Warden layer.
//   minimal: the host's busybox, curl and util-linux script (fast tests, ~15 s build)
//   full:    a Debian userland from debootstrap (git, curl, python3, CA bundle)
// Both get the same pinned, hash-checked Node and npm (guest-node.ts).
// Images land content-addressed under imagesDir; an identical build reuses its folder.

import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROTOCOL_VERSION } from '../../api/frames.ts';
import { AGENT_NAME } from '../guest/agent.ts';
import { bundleAgent } from './agent-bundle.ts';
import { makeExt4Image } from './ext4-image.ts';
import { downloadKernel, unpackKernel } from './guest-kernel.ts';
import { installGuestNode } from './guest-node.ts';
import { type RunCommand, runCommand } from './host-tools.ts';
import { buildInitramfs, hostBusybox } from './initramfs.ts';
import type { ImageKind } from './kinds.ts';
import {
  type ImageManifest,
  imageId,
  imageSize,
  listImages,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  type VmImage,
  verifyImage,
} from './manifest.ts';
import { imageRecipe } from './recipe.ts';
import { hostWhich, libraryEntries, minimalUserland, wardenLayer } from './rootfs-layers.ts';
import { treeDigest, writeTree } from './tree.ts';

export interface BuildImageOptions {
  /** Folder that holds images by id, e.g. $WARDEN_HOME/images. */
  imagesDir: string;
  /** Which userland (default minimal). */
  kind?: ImageKind;
  /** The bundled guest agent (one JS file). Default: bundle supervisor/vm/guest/main.ts with esbuild. */
  agentBundle?: string;
  /** Where the pinned Node and npm tarballs are kept (default: imagesDir/.node-cache). */
  nodeCacheDir?: string;
  /** A kernel .deb already at hand (default: `apt-get download` the generic kernel). */
  kernelDeb?: string;
  /** minimal: include curl and its libraries (default true). */
  withCurl?: boolean;
  /** full: fills `dir` with a Debian userland (default: debootstrap + apt, .debs cached in cacheDir). */
  debianRootfs?: (dir: string, log: (m: string) => void) => Promise<void>;
  /** full: where downloaded .debs are kept between builds (default: imagesDir/.debootstrap-cache). */
  cacheDir?: string;
  /**
   * Return an image built from the same recipe (kernel package, agent, init, busybox, Node;
   * for full the package list, suite and mirror, for minimal the host binaries it copies)
   * instead of building again (default true). A fresh build picks up newer package
   * versions: \`warden image build\` asks for one.
   */
  reuse?: boolean;
  log?: (message: string) => void;
  run?: RunCommand;
}

export interface BuiltImage {
  image: VmImage;
  sizeBytes: number;
  buildMs: number;
  /** True when an identical image was already there. */
  reused: boolean;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function fullUserland(dir: string, opts: BuildImageOptions, log: (m: string) => void): Promise<void> {
  if (opts.debianRootfs) return opts.debianRootfs(dir, log);
  const { buildDebianRootfs } = await import('./debian-rootfs.ts');
  const cacheDir = opts.cacheDir ?? path.join(opts.imagesDir, '.debootstrap-cache');
  await buildDebianRootfs({ dir, log, cacheDir });
}

export async function buildImage(opts: BuildImageOptions): Promise<BuiltImage> {
  const started = Date.now();
  const kind = opts.kind ?? 'minimal';
  const run = opts.run ?? runCommand;
  const log = opts.log ?? (() => {});
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-image-'));
  try {
    const busybox = hostBusybox(run);
    const agentFile = opts.agentBundle ?? path.join(tmp, 'agent.js');
    if (!opts.agentBundle) await bundleAgent(agentFile);
    const agentJs = readFileSync(agentFile);
    let recipe: string | undefined;
    if (opts.reuse !== false && !opts.debianRootfs) {
      const hostBinaries =
        kind === 'minimal'
          ? ['script', ...(opts.withCurl === false ? [] : ['curl'])].flatMap((b) => hostWhich(run, b) ?? [])
          : [];
      recipe = imageRecipe(kind, run, {
        agentJs,
        busyboxPath: busybox.path,
        kernelDeb: opts.kernelDeb,
        hostBinaries,
      });
      const same = listImages(opts.imagesDir).find(({ manifest }) => manifest.recipe === recipe);
      if (same) {
        log(`an image from the same recipe is already built: ${same.manifest.id.slice(0, 12)}`);
        const image = await verifyImage(same.dir);
        return { image, sizeBytes: imageSize(image.manifest), buildMs: Date.now() - started, reused: true };
      }
    }
    const deb = opts.kernelDeb ?? downloadKernel(run, tmp, log);
    const kernel = unpackKernel(run, deb, path.join(tmp, 'kernel'), log);
    log('packing the initramfs');
    const initrd = buildInitramfs(kernel, busybox);

    const root = path.join(tmp, 'root');
    mkdirSync(root);
    const nodeCache = { cacheDir: opts.nodeCacheDir ?? path.join(opts.imagesDir, '.node-cache'), tmp, log };
    if (kind === 'full') {
      await fullUserland(root, opts, log);
      installGuestNode(run, root, nodeCache);
    } else {
      writeTree(root, minimalUserland(run, { busybox, withCurl: opts.withCurl ?? true }));
      const nodeHost = installGuestNode(run, root, nodeCache);
      writeTree(root, libraryEntries(run, nodeHost));
    }
    writeTree(root, wardenLayer({ agentJs, busyboxPath: busybox.path }));
    const kernelSha = sha256(kernel.vmlinux);
    const initrdSha = sha256(initrd);
    const buildKey = sha256(Buffer.from(`${kind}\n${kernelSha}\n${initrdSha}\n${treeDigest(root)}\n`));
    const same = listImages(opts.imagesDir).find(({ manifest }) => manifest.buildKey === buildKey);
    if (same) {
      log(`the same image is already built: ${same.manifest.id.slice(0, 12)}`);
      const image = await verifyImage(same.dir);
      return { image, sizeBytes: imageSize(image.manifest), buildMs: Date.now() - started, reused: true };
    }
    log('making the root filesystem');
    const rootfsFile = path.join(tmp, 'rootfs.ext4');
    const ext4 = await makeExt4Image(root, rootfsFile, { run, log });
    const rootfsSha = ext4.sha256;
    const id = imageId(kernelSha, initrdSha, rootfsSha);
    const manifest: ImageManifest = {
      format: MANIFEST_FORMAT,
      id,
      name: kind,
      kernel: { file: 'vmlinux', sha256: kernelSha, size: kernel.vmlinux.length, version: kernel.version },
      initrd: { file: 'initrd.cpio', sha256: initrdSha, size: initrd.length },
      rootfs: { file: 'rootfs.ext4', sha256: rootfsSha, size: ext4.sizeBytes, fs: 'ext4' },
      buildKey,
      ...(recipe ? { recipe } : {}),
      agent: AGENT_NAME,
      protocol: PROTOCOL_VERSION,
      builtAt: new Date().toISOString(),
    };
    // Owner-only, like the rest of $WARDEN_HOME.
    mkdirSync(opts.imagesDir, { recursive: true, mode: 0o700 });
    const finalDir = path.join(opts.imagesDir, id);
    const reused = existsSync(path.join(finalDir, MANIFEST_FILE));
    if (!reused) {
      const staging = mkdtempSync(path.join(opts.imagesDir, '.staging-'));
      writeFileSync(path.join(staging, 'vmlinux'), kernel.vmlinux, { mode: 0o600 });
      writeFileSync(path.join(staging, 'initrd.cpio'), initrd, { mode: 0o600 });
      chmodSync(rootfsFile, 0o600);
      renameSync(rootfsFile, path.join(staging, 'rootfs.ext4'));
      writeFileSync(path.join(staging, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n', {
        mode: 0o600,
      });
      rmSync(finalDir, { recursive: true, force: true });
      renameSync(staging, finalDir);
    }
    const image = await verifyImage(finalDir);
    return { image, sizeBytes: imageSize(image.manifest), buildMs: Date.now() - started, reused };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The minimal image (kept for callers that only ever want it). */
export function buildMinimalImage(opts: Omit<BuildImageOptions, 'kind'>): Promise<BuiltImage> {
  return buildImage({ ...opts, kind: 'minimal' });
}
