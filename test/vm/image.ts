// The minimal image for VM tests and benchmarks, built once per process into
// test-artifacts/images (identical builds land in the same content-addressed folder).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuiltImage, buildMinimalImage } from '../../supervisor/vm/index.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testImagesDir = path.join(repoRoot, 'test-artifacts', 'images');

export function buildTestImage(): Promise<BuiltImage> {
  return buildMinimalImage({ imagesDir: testImagesDir, log: (m) => process.stderr.write(`image: ${m}\n`) });
}
