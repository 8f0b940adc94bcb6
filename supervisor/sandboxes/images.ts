// The guest images the daemon boots: content-addressed folders under $WARDEN_HOME/images.
// Found by id (or a prefix of it) or by name; the newest is the default. Hashes are
// checked by the VM driver before every boot, so finding an image here reads only its
// manifest. With no image at all, the first sandbox builds the minimal one.

import { statSync } from 'node:fs';
import path from 'node:path';
import type { ImageView } from '../api/index.ts';
import { ApiError } from '../api/server.ts';
import { type BuiltImage, buildMinimalImage, listImages, type VmImage } from '../vm/index.ts';

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

export class ImageStore {
  readonly dir: string;
  readonly #log: (message: string) => void;
  #building: Promise<BuiltImage> | undefined;

  constructor(dir: string, log: (message: string) => void) {
    this.dir = dir;
    this.#log = log;
  }

  list(): ImageView[] {
    return listImages(this.dir).map(({ dir, manifest }) => ({
      id: manifest.id,
      name: manifest.name,
      dir,
      builtAt: manifest.builtAt,
      kernelVersion: manifest.kernel.version,
      sizeBytes: sizeOf(path.join(dir, manifest.kernel.file)) + sizeOf(path.join(dir, manifest.initrd.file)),
    }));
  }

  /** The image named `name` (id, id prefix of 6+ characters, or name), else the newest. Not hashed. */
  find(name?: string): VmImage | undefined {
    const all = listImages(this.dir);
    const hit = name
      ? all.find(
          ({ manifest }) =>
            manifest.id === name ||
            (name.length >= 6 && manifest.id.startsWith(name.toLowerCase())) ||
            manifest.name === name,
        )
      : all[0];
    if (!hit) return undefined;
    const m = hit.manifest;
    return {
      id: m.id,
      dir: hit.dir,
      name: m.name,
      kernelPath: path.join(hit.dir, m.kernel.file),
      initrdPath: path.join(hit.dir, m.initrd.file),
      manifest: m,
    };
  }

  /** Like find, but builds the minimal image when there is none at all and no name was asked. */
  async resolve(name?: string): Promise<VmImage> {
    const found = this.find(name);
    if (found) return found;
    if (name) {
      throw new ApiError(
        404,
        'ImageNotFound',
        `no guest image ${JSON.stringify(name)} in ${this.dir}`,
        'list them with: warden image ls; build the default one with: warden image build',
      );
    }
    return (await this.build()).image;
  }

  /** Builds the minimal image (one build at a time; identical builds land in the same folder). */
  build(log: (message: string) => void = this.#log): Promise<BuiltImage> {
    this.#building ??= buildMinimalImage({ imagesDir: this.dir, log }).finally(() => {
      this.#building = undefined;
    });
    return this.#building.catch((error: Error) => {
      throw new ApiError(
        500,
        'ImageBuildFailed',
        `building the guest image failed: ${error.message}`,
        'it needs apt-get (Debian packages), busybox-static, curl and util-linux; see: warden doctor',
      );
    });
  }
}
