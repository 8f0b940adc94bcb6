// Bundles the hub's web page (hub-web/index.tsx) into dist/hub-web/: index.html, app.js and
// app.css, served by `warden hub` under /admin.

import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildHubWeb({ outdir = path.join(root, 'dist', 'hub-web'), minify = true } = {}) {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: { app: path.join(root, 'hub-web', 'index.tsx') },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome120'],
    jsx: 'automatic',
    minify,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  await copyFile(path.join(root, 'hub-web', 'index.html'), path.join(outdir, 'index.html'));
  return outdir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildHubWeb();
}
