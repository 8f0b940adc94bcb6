// The guest agent as one JavaScript file (esbuild), from the sources or the bundled CLI.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export async function bundleAgent(outFile: string): Promise<void> {
  // Required, not imported: the `warden run` bundle is CommonJS compiled through vm.Script,
  // where a dynamic import() needs Node's experimental loader hook (and prints a warning).
  const { build } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const here = path.dirname(new URL(import.meta.url).pathname);
  // From the sources (supervisor/vm/image/) or from the bundled CLI (dist/).
  const candidates = [
    path.join(here, '..', 'guest', 'main.ts'),
    path.join(here, '..', 'supervisor', 'vm', 'guest', 'main.ts'),
  ];
  const entry = candidates.find((c) => existsSync(c));
  if (!entry) throw new Error(`the guest agent's sources are not found (looked at ${candidates.join(', ')})`);
  await build({
    entryPoints: [entry],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    minify: true,
    logLevel: 'warning',
  });
}
