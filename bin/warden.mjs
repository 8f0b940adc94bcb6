#!/usr/bin/env node
// The `warden` command. Runs the bundled build when present (fast start), otherwise
// the TypeScript sources through tsx (a development checkout before `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/warden.mjs', import.meta.url));
if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../supervisor/cli/main.ts', import.meta.url);
}
