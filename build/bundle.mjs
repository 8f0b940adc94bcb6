// Bundles the supervisor (daemon + CLI) into one ESM file so `warden` starts fast.
// Dependencies stay external: they are installed beside it by npm.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

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
