// The minimal image for VM tests and benchmarks, built once per process into
// test-artifacts/images (identical builds land in the same content-addressed folder).

import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WardenEvent } from '../../supervisor/api/index.ts';
import type { ApiClient } from '../../supervisor/client/api-client.ts';
import { type BuiltImage, buildImage, buildMinimalImage, type VmImage } from '../../supervisor/vm/index.ts';
import { until } from '../support/daemon.ts';

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

/** Makes `image` one of the images under `home` (a link: the image is built once per run). */
export function linkImage(home: string, image: VmImage): void {
  mkdirSync(path.join(home, 'images'), { recursive: true, mode: 0o700 });
  symlinkSync(image.dir, path.join(home, 'images', image.id));
}

/** Creates a sandbox on `image` through the API and waits until its VM runs; its id. */
export async function bootSandbox(
  d: { client: ApiClient; events: WardenEvent[] },
  label: string,
  image: VmImage,
): Promise<string> {
  const created = await d.client.call('POST /v1/sandboxes', {
    body: { label, cpus: 1, memoryMiB: 512, image: image.id },
    timeoutMs: 180_000,
  });
  const sandboxId = created.sandbox.sandboxId;
  await until(
    'the sandbox to run',
    () =>
      d.events.some((e) => e.type === 'sandbox.state' && e.sandboxId === sandboxId && e.state === 'RUNNING'),
    180_000,
  );
  return sandboxId;
}
