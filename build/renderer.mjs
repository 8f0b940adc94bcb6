// Bundles the renderer (renderer/index.tsx) into dist/renderer/: index.html, app.js,
// app.css and chunks/ (code loaded on demand). The same files run in Electron (loaded from disk) and in browser mode (served
// by the daemon's loopback listener).

import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function buildRenderer({ minify = true } = {}) {
  const outdir = path.join(root, 'dist', 'renderer');
  await mkdir(outdir, { recursive: true });
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
  await build({
    entryPoints: { app: path.join(root, 'renderer', 'index.tsx') },
    outdir,
    bundle: true,
    // Views loaded on demand (the terminal, with xterm.js) become chunks beside app.js.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    platform: 'browser',
    format: 'esm',
    target: ['chrome120'],
    jsx: 'automatic',
    minify,
    sourcemap: 'linked',
    legalComments: 'none',
    define: {
      'process.env.NODE_ENV': '"production"',
      __WARDEN_UI_VERSION__: JSON.stringify(version),
    },
    logLevel: 'warning',
  });
  await copyFile(path.join(root, 'renderer', 'index.html'), path.join(outdir, 'index.html'));
  return outdir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildRenderer();
}
