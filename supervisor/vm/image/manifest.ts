// Content-addressed images: <images>/<id>/{manifest.json, vmlinux, initrd.cpio[, rootfs.ext4]},
// where id = sha256 over the sha256 of each file. Verified before every boot.
// Format 1: the whole guest in the initramfs. Format 2: a small initramfs that mounts the
// read-only root filesystem disk (under a tmpfs overlay) and switches to it.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 2;
const READABLE_FORMATS = [1, 2];

export interface ImageFile {
  file: string;
  sha256: string;
  size: number;
}

export interface ImageManifest {
  format: number;
  id: string;
  name: string;
  kernel: ImageFile & { version: string };
  initrd: ImageFile;
  /** The root filesystem disk (format 2), attached read-only as /dev/vda. */
  rootfs?: ImageFile & { fs: 'ext4' };
  /** Digest of what the image was built from (kernel, initramfs, root tree): a rebuild of the same reuses it. */
  buildKey?: string;
  /** Digest of the recipe a full image was built from (see recipe.ts): a build from the same reuses it. */
  recipe?: string;
  /** Guest agent and protocol the image carries. */
  agent: string;
  protocol: number;
  builtAt: string;
}

/** A verified image, ready to boot. */
export interface VmImage {
  id: string;
  dir: string;
  name: string;
  kernelPath: string;
  initrdPath: string;
  rootfsPath?: string;
  manifest: ImageManifest;
}

export function imageId(kernelSha: string, initrdSha: string, rootfsSha?: string): string {
  const parts = rootfsSha ? [kernelSha, initrdSha, rootfsSha] : [kernelSha, initrdSha];
  return createHash('sha256')
    .update(parts.map((p) => `${p}\n`).join(''))
    .digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

function checkFile(v: unknown, where: string): ImageFile {
  const f = v as Partial<ImageFile>;
  if (typeof f !== 'object' || f === null) throw new Error(`${where}: missing`);
  if (typeof f.file !== 'string' || f.file.includes('/') || f.file.startsWith('.')) {
    throw new Error(`${where}.file: must be a plain file name`);
  }
  if (typeof f.sha256 !== 'string' || !HEX64.test(f.sha256)) throw new Error(`${where}.sha256: not a sha256`);
  if (typeof f.size !== 'number') throw new Error(`${where}.size: not a number`);
  return { file: f.file, sha256: f.sha256, size: f.size };
}

export function parseManifest(text: string): ImageManifest {
  const m = JSON.parse(text) as Partial<ImageManifest>;
  if (!READABLE_FORMATS.includes(m.format as number)) {
    throw new Error(`manifest.format: expected one of ${READABLE_FORMATS.join(', ')} (got ${m.format})`);
  }
  if (typeof m.id !== 'string' || !HEX64.test(m.id)) throw new Error('manifest.id: not a sha256');
  if (typeof m.name !== 'string' || m.name === '') throw new Error('manifest.name: missing');
  const kernel = checkFile(m.kernel, 'manifest.kernel');
  const initrd = checkFile(m.initrd, 'manifest.initrd');
  let rootfs: ImageManifest['rootfs'];
  if ((m.format ?? 1) >= 2 && m.rootfs !== undefined) {
    if (m.rootfs.fs !== 'ext4') throw new Error('manifest.rootfs.fs: expected ext4');
    rootfs = { ...checkFile(m.rootfs, 'manifest.rootfs'), fs: 'ext4' };
  }
  if (imageId(kernel.sha256, initrd.sha256, rootfs?.sha256) !== m.id) {
    throw new Error('manifest.id does not match its files');
  }
  return {
    ...(m as ImageManifest),
    kernel: { ...kernel, version: String(m.kernel?.version) },
    initrd,
    rootfs,
  };
}

/**
 * Reads an image folder and checks that the folder name, the manifest and the bytes of
 * the kernel and initrd agree. Throws with what does not match.
 */
export async function verifyImage(dir: string): Promise<VmImage> {
  const manifest = parseManifest(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8'));
  if (path.basename(dir) !== manifest.id) {
    throw new Error(`image folder ${dir} is not named by its id ${manifest.id}`);
  }
  const kernelPath = path.join(dir, manifest.kernel.file);
  const initrdPath = path.join(dir, manifest.initrd.file);
  const rootfsPath = manifest.rootfs ? path.join(dir, manifest.rootfs.file) : undefined;
  const [k, i, r] = await Promise.all([
    sha256File(kernelPath),
    sha256File(initrdPath),
    rootfsPath ? sha256File(rootfsPath) : undefined,
  ]);
  if (k !== manifest.kernel.sha256) throw new Error(`image ${manifest.id}: kernel hash mismatch (got ${k})`);
  if (i !== manifest.initrd.sha256) throw new Error(`image ${manifest.id}: initrd hash mismatch (got ${i})`);
  if (manifest.rootfs && r !== manifest.rootfs.sha256) {
    throw new Error(`image ${manifest.id}: root filesystem hash mismatch (got ${r})`);
  }
  return imageAt(dir, manifest);
}

/** The paths of an image's files, from its manifest (nothing is read or hashed). */
export function imageAt(dir: string, manifest: ImageManifest): VmImage {
  const image: VmImage = {
    id: manifest.id,
    dir,
    name: manifest.name,
    kernelPath: path.join(dir, manifest.kernel.file),
    initrdPath: path.join(dir, manifest.initrd.file),
    manifest,
  };
  if (manifest.rootfs) image.rootfsPath = path.join(dir, manifest.rootfs.file);
  return image;
}

/** Bytes of the image's files together. */
export function imageSize(manifest: ImageManifest): number {
  return manifest.kernel.size + manifest.initrd.size + (manifest.rootfs?.size ?? 0);
}

/** Manifests of the images under `imagesDir` (unverified; newest first). */
export function listImages(imagesDir: string): { dir: string; manifest: ImageManifest }[] {
  if (!existsSync(imagesDir)) return [];
  const out: { dir: string; manifest: ImageManifest }[] = [];
  for (const name of readdirSync(imagesDir)) {
    if (!HEX64.test(name)) continue;
    const dir = path.join(imagesDir, name);
    try {
      out.push({ dir, manifest: parseManifest(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) });
    } catch {}
  }
  return out.sort((a, b) => b.manifest.builtAt.localeCompare(a.manifest.builtAt));
}
