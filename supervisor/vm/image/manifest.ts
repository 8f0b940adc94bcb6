// Content-addressed images: <images>/<id>/{manifest.json, vmlinux, initrd.cpio}, where
// id = sha256 over the kernel's and the initrd's sha256. Verified before every boot.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;

export interface ImageFile {
  file: string;
  sha256: string;
  size: number;
}

export interface ImageManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  name: string;
  kernel: ImageFile & { version: string };
  initrd: ImageFile;
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
  manifest: ImageManifest;
}

export function imageId(kernelSha: string, initrdSha: string): string {
  return createHash('sha256').update(`${kernelSha}\n${initrdSha}\n`).digest('hex');
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
  if (m.format !== MANIFEST_FORMAT) throw new Error(`manifest.format: expected ${MANIFEST_FORMAT}`);
  if (typeof m.id !== 'string' || !HEX64.test(m.id)) throw new Error('manifest.id: not a sha256');
  if (typeof m.name !== 'string' || m.name === '') throw new Error('manifest.name: missing');
  const kernel = checkFile(m.kernel, 'manifest.kernel');
  const initrd = checkFile(m.initrd, 'manifest.initrd');
  if (imageId(kernel.sha256, initrd.sha256) !== m.id) throw new Error('manifest.id does not match its files');
  return m as ImageManifest;
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
  const [k, i] = await Promise.all([sha256File(kernelPath), sha256File(initrdPath)]);
  if (k !== manifest.kernel.sha256) throw new Error(`image ${manifest.id}: kernel hash mismatch (got ${k})`);
  if (i !== manifest.initrd.sha256) throw new Error(`image ${manifest.id}: initrd hash mismatch (got ${i})`);
  return { id: manifest.id, dir, name: manifest.name, kernelPath, initrdPath, manifest };
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
