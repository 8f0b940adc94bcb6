#!/usr/bin/env node
// The `warden` command. Runs the bundled build when present (fast start), otherwise
// the TypeScript sources through tsx (a development checkout before `npm run build`).
// `warden run` loads its own CommonJS bundle (dist/warden-run.cjs) through a V8 code cache.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';

/**
 * Runs a CommonJS bundle compiled with the code cache kept beside it (named by the bundle's
 * size and mtime, so a rebuilt bundle never meets an old cache; V8 also rejects a cache from
 * another V8 or other flags). Without a usable cache, one is written as the process exits,
 * with the functions the run compiled; a read-only install just goes without.
 */
function runWithCodeCache(file) {
  const { size, mtimeMs } = statSync(file);
  const cacheFile = `${file}.${size}-${Math.trunc(mtimeMs)}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {}
  const source = readFileSync(file, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {}
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
}

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'run' && existsSync(path.join(dist, 'warden-run.cjs'))) {
  runWithCodeCache(path.join(dist, 'warden-run.cjs'));
} else if (existsSync(path.join(dist, 'warden.mjs'))) {
  await import(pathToFileURL(path.join(dist, 'warden.mjs')).href);
} else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../supervisor/cli/main.ts', import.meta.url);
}
