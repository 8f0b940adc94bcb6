// The guest images the daemon boots: content-addressed folders under $WARDEN_HOME/images.
// Found by id (or a prefix of it) or by name; with no name asked, the newest image named
// like the default ($WARDEN_IMAGE, else "full": the Debian userland agents need). Hashes
// are checked by the VM driver before every boot, so finding an image reads only its
// manifest. With no default image at all, the first sandbox builds it.

import type { ImageView } from '../api/index.ts';
import { ApiError } from '../api/server.ts';
import {
  type BuiltImage,
  buildImage,
  defaultImageName,
  type ImageKind,
  imageAt,
  imageBuildHint,
  imageKind,
  imageSize,
  listImages,
  type VmImage,
} from '../vm/index.ts';

export class ImageStore {
  readonly dir: string;
  readonly defaultName: string;
  readonly #log: (message: string) => void;
  readonly #building = new Map<ImageKind, Promise<BuiltImage>>();

  constructor(dir: string, log: (message: string) => void, defaultName = defaultImageName()) {
    this.dir = dir;
    this.#log = log;
    this.defaultName = defaultName;
  }

  list(): ImageView[] {
    return listImages(this.dir).map(({ dir, manifest }) => ({
      id: manifest.id,
      name: manifest.name,
      dir,
      builtAt: manifest.builtAt,
      kernelVersion: manifest.kernel.version,
      sizeBytes: imageSize(manifest),
    }));
  }

  /** The image named `name` (id, id prefix of 6+ characters, or name), else the newest default one. Not hashed. */
  find(name: string = this.defaultName): VmImage | undefined {
    const hit = listImages(this.dir).find(
      ({ manifest }) =>
        manifest.id === name ||
        (name.length >= 6 && manifest.id.startsWith(name.toLowerCase())) ||
        manifest.name === name,
    );
    return hit ? imageAt(hit.dir, hit.manifest) : undefined;
  }

  /** An image to probe the accelerator with: the default one, else the newest of any, else the default built. */
  async forProbe(): Promise<VmImage> {
    const newest = listImages(this.dir)[0];
    return this.find() ?? (newest ? imageAt(newest.dir, newest.manifest) : await this.resolve());
  }

  /** Like find, but builds the image when it is a kind Warden knows how to build. */
  async resolve(name: string = this.defaultName): Promise<VmImage> {
    const found = this.find(name);
    if (found) return found;
    const kind = imageKind(name);
    if (!kind) {
      throw new ApiError(
        404,
        'ImageNotFound',
        `no guest image ${JSON.stringify(name)} in ${this.dir}`,
        `list them with: warden image ls; build one with: warden image build [full|minimal]`,
      );
    }
    return (await this.build(kind)).image;
  }

  /** Builds an image (one build per kind at a time; identical builds land in the same folder). */
  build(kind: ImageKind, log: (message: string) => void = this.#log): Promise<BuiltImage> {
    let building = this.#building.get(kind);
    if (!building) {
      building = buildImage({ imagesDir: this.dir, kind, log }).finally(() => this.#building.delete(kind));
      this.#building.set(kind, building);
    }
    return building.catch((error: Error) => {
      throw new ApiError(
        500,
        'ImageBuildFailed',
        `building the ${kind} guest image failed: ${error.message}`,
        imageBuildHint(kind),
      );
    });
  }
}
