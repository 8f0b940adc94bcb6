// Bundles the Electron main process and its preload to CommonJS (Electron loads a
// sandboxed preload only as a CommonJS script with no imports but `electron`).
// dist/main/index.cjs and dist/main/preload.cjs; `electron` stays external, everything
// else (the API client, ajv, TypeBox) is bundled in.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildMain() {
  const common = {
    bundle: true,
    format: 'cjs',
    external: ['electron'],
    sourcemap: 'linked',
    logLevel: 'warning',
    outExtension: { '.js': '.cjs' },
    outdir: path.join(root, 'dist/main'),
  };
  await Promise.all([
    build({ ...common, entryPoints: [path.join(root, 'main/index.ts')], platform: 'node', target: 'node20' }),
    // The preload runs in the renderer's sandbox: browser platform, no Node built-ins.
    build({
      ...common,
      entryPoints: [path.join(root, 'main/preload.ts')],
      platform: 'browser',
      target: 'chrome120',
    }),
  ]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildMain();
