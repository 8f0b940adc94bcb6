// Bundles the supervisor (daemon + CLI) into one ESM file so `warden` starts fast.
// Dependencies stay external: they are installed beside it by npm.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Chunk names carry a content hash: remove the previous build's so dist/ does not grow.
const dist = path.join(root, 'dist');
mkdirSync(dist, { recursive: true });
for (const name of readdirSync(dist, { withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => e.name)) {
  if (/\.mjs(\.map)?$/.test(name)) rmSync(path.join(dist, name));
}

await build({
  // The audit writer's worker thread runs its own entry (supervisor/daemon/audit-writer.ts).
  entryPoints: {
    warden: path.join(root, 'supervisor/cli/main.ts'),
    'audit-writer-worker': path.join(root, 'supervisor/daemon/audit-writer-worker.ts'),
  },
  outdir: path.join(root, 'dist'),
  entryNames: '[name]',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  // Each command's module becomes a chunk loaded when that command runs.
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

// The renderer bundle (dist/renderer/), served by the daemon in browser mode.
await (await import('./renderer.mjs')).buildRenderer();

// The Electron main process and preload (CommonJS, `electron` external).
await (await import('./main.mjs')).buildMain();
