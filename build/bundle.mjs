// Bundles the supervisor (daemon + CLI) into one ESM file so `warden` starts fast.
// Dependencies stay external (npm installs them beside it), except the ones in INLINE.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { writeVersion } from './write-version.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The version, written once in package.json, into the contract.
writeVersion();

// Chunk names carry a content hash: remove the previous build's so dist/ does not grow.
const dist = path.join(root, 'dist');
mkdirSync(dist, { recursive: true });
for (const name of readdirSync(dist, { withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => e.name)) {
  if (/\.mjs(\.map)?$/.test(name)) rmSync(path.join(dist, name));
}

// Every command loads commander first: imported from node_modules as an ES module it took
// 26–29 ms of the CLI's ~100 ms start (CommonJS loading and export detection); bundled, the
// start is about 10 ms shorter (median of 20: 95–98 ms against 107).
const INLINE = new Set(['commander']);
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    // Bare specifiers and node: built-ins (relative and absolute paths are bundled).
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      return INLINE.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

await build({
  // Each audit worker thread runs its own entry (AUDIT_WORKERS in supervisor/audit/start-worker.ts).
  entryPoints: {
    warden: path.join(root, 'supervisor/cli/main.ts'),
    'audit-writer-worker': path.join(root, 'supervisor/audit/audit-writer-worker.ts'),
    'audit-encoder-worker': path.join(root, 'supervisor/audit/audit-encoder-worker.ts'),
    'verify-worker': path.join(root, 'supervisor/audit/verify-worker.ts'),
    'checkpoint-worker': path.join(root, 'supervisor/audit/checkpoint-worker.ts'),
    'verify-walk-worker': path.join(root, 'supervisor/audit/verify-walk-worker.ts'),
    'export-worker': path.join(root, 'supervisor/audit/export-worker.ts'),
    'replay-worker': path.join(root, 'supervisor/replay/replay-worker.ts'),
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
  plugins: [externalPackages],
  // A bundled CommonJS package calls require() for built-ins, which ES modules lack.
  banner: {
    js: "import { createRequire as __wardenCreateRequire } from 'node:module';\nconst require = __wardenCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  logLevel: 'warning',
});

// `warden run` alone, as one CommonJS file (supervisor/cli/run-main.ts): bin/warden.mjs compiles
// it with a V8 code cache kept beside it. import.meta.url is this file's URL, as in the ESM
// bundle beside it (the presets and bin/ are found from dist/ either way).
for (const name of readdirSync(dist)) if (/^warden-run\.cjs/.test(name)) rmSync(path.join(dist, name));
await build({
  entryPoints: [path.join(root, 'supervisor/cli/run-main.ts')],
  outfile: path.join(dist, 'warden-run.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [externalPackages],
  define: { 'import.meta.url': '__wardenImportMetaUrl' },
  banner: { js: "const __wardenImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// The same command compiled to one executable where Bun is installed (bin/warden runs it).
(await import('./run-native.mjs')).buildRunNative(root);

// The renderer bundle (dist/renderer/), served by the daemon in browser mode.
await (await import('./renderer.mjs')).buildRenderer();
await (await import('./hub-web.mjs')).buildHubWeb();

// The Electron main process and preload (CommonJS, `electron` external).
await (await import('./main.mjs')).buildMain();

// The Lens extension's two packages (extension/dist/freelens/ and extension/dist/legacy/).
await (await import('../extension/build.mjs')).buildPackages();
