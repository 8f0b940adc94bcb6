// dist/warden-run: `warden run` (supervisor/cli/run-native.ts) compiled to one executable by
// Bun, when the optional `bun` package is installed for this platform. bin/warden runs it for
// `warden run`; without it (another platform, `npm install --omit=optional`), the Node CLI
// runs every command. The executable reads no .env, bunfig.toml, tsconfig.json or
// package.json from the directory it runs in: only what the Node CLI reads.

import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Builds dist/warden-run; returns false (and removes an old one) where Bun is not installed. */
export function buildRunNative(root, log = (line) => process.stderr.write(`${line}\n`)) {
  const out = path.join(root, 'dist', 'warden-run');
  rmSync(out, { force: true });
  const bun = path.join(root, 'node_modules', '.bin', 'bun');
  if (!existsSync(bun) || spawnSync(bun, ['--version'], { stdio: 'ignore' }).status !== 0) {
    log('build: no bun for this platform: `warden run` runs on Node (dist/warden-run not built)');
    return false;
  }
  const r = spawnSync(
    bun,
    [
      'build',
      path.join(root, 'supervisor/cli/run-native.ts'),
      '--compile',
      '--bytecode',
      '--minify',
      '--format=cjs',
      '--target=bun',
      '--no-compile-autoload-dotenv',
      '--no-compile-autoload-bunfig',
      '--no-compile-autoload-tsconfig',
      '--no-compile-autoload-package-json',
      // The presets and bin/ are found from import.meta.url: make it this executable's own
      // path in dist/, as the esbuild bundles beside it have theirs (not Bun's virtual one).
      '--define',
      'import.meta.url=__wardenImportMetaUrl',
      '--banner',
      "var __wardenImportMetaUrl = require('node:url').pathToFileURL(process.execPath).href;",
      '--outfile',
      out,
    ],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`bun build --compile failed (${r.status}): ${r.stderr || r.stdout}`);
  return true;
}
