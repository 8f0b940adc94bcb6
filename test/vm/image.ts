// The minimal image for VM tests and benchmarks, built once per process into
// test-artifacts/images (identical builds land in the same content-addressed folder).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuiltImage, buildImage, buildMinimalImage } from '../../supervisor/vm/index.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testImagesDir = path.join(repoRoot, 'test-artifacts', 'images');

export function buildTestImage(): Promise<BuiltImage> {
  return buildMinimalImage({ imagesDir: testImagesDir, log: (m) => process.stderr.write(`image: ${m}\n`) });
}

/**
 * The full image (a Debian userland from debootstrap): minutes to build, so an image from
 * the same recipe is reused; the .deb cache is $WARDEN_DEBOOTSTRAP_CACHE or beside the images.
 */
export function buildFullTestImage(): Promise<BuiltImage> {
  return buildImage({
    imagesDir: testImagesDir,
    kind: 'full',
    ...(process.env.WARDEN_DEBOOTSTRAP_CACHE ? { cacheDir: process.env.WARDEN_DEBOOTSTRAP_CACHE } : {}),
    log: (m) => process.stderr.write(`image: ${m}\n`),
  });
}
