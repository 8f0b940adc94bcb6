// Image hash checks once per version of the files: a boot re-hashes an image (hundreds of
// MiB) only when one of its files changed since it was last found intact. A file's version
// is its device, inode, size, mtime and ctime (ctime cannot be set back by a non-root writer).

import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type ImageManifest, MANIFEST_FILE, parseManifest, type VmImage, verifyImage } from './manifest.ts';

/** The identity of the image's files as they are now; a change in any byte of them changes it. */
function filesVersion(dir: string, files: string[]): string {
  return files
    .map((f) => {
      const s = statSync(path.join(dir, f), { bigint: true });
      return `${f}:${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
    })
    .join('\n');
}

function imageFiles(m: ImageManifest): string[] {
  return [MANIFEST_FILE, m.kernel.file, m.initrd.file, ...(m.rootfs ? [m.rootfs.file] : [])];
}

export class VerifiedImages {
  readonly #seen = new Map<string, { version: string; image: VmImage }>();

  constructor(private readonly verify: (dir: string) => Promise<VmImage> = verifyImage) {}

  /** The image in `dir`, hashed unless its files are the very ones found intact before. */
  async check(dir: string): Promise<VmImage> {
    const hit = this.#seen.get(dir);
    if (hit) {
      let now: string | undefined;
      try {
        now = filesVersion(dir, imageFiles(hit.image.manifest));
      } catch {
        // a file is gone: verify says which
      }
      if (now === hit.version) return hit.image;
      this.#seen.delete(dir);
    }
    // The version is taken before hashing: a file changed while it is hashed has a newer
    // version by the next boot, which hashes it again.
    let before: { files: string[]; version: string } | undefined;
    try {
      const files = imageFiles(parseManifest(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')));
      before = { files, version: filesVersion(dir, files) };
    } catch {
      // verify reports what is wrong
    }
    const image = await this.verify(dir);
    if (before && imageFiles(image.manifest).join('\n') === before.files.join('\n')) {
      this.#seen.set(dir, { version: before.version, image });
    }
    return image;
  }
}
