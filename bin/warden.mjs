#!/usr/bin/env node
// The `warden` command. Runs the bundled build when present (fast start), otherwise
// the TypeScript sources through tsx (a development checkout before `npm run build`).
// `warden run` loads its own CommonJS bundle (dist/warden-run.cjs) through a V8 code cache.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { crc32 } from 'node:zlib';

/**
 * Runs a CommonJS bundle compiled with the code cache kept beside it (named by the bundle's
 * size and mtime, so a rebuilt bundle never meets an old cache; V8 also rejects a cache from
 * another V8 or other flags). Without a usable cache, one is written as the process exits,
 * with the functions the run compiled; a read-only install just goes without. A cache whose
 * checksum does not match its bytes is not used.
 */
function runWithCodeCache(file) {
  const { size, mtimeMs } = statSync(file);
  const cacheFile = `${file}.${size}-${Math.trunc(mtimeMs)}.v8cache`;
  // V8 does not check a cache's payload (a damaged one aborts the process): ours leads with
  // the CRC-32 of the rest, and one that does not match is not used (and is written anew).
  let cachedData;
  try {
    const stored = readFileSync(cacheFile);
    if (stored.length > 4 && stored.readUInt32BE(0) === crc32(stored.subarray(4)))
      cachedData = stored.subarray(4);
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
        const data = script.createCachedData();
        const sum = Buffer.alloc(4);
        sum.writeUInt32BE(crc32(data));
        writeFileSync(tmp, Buffer.concat([sum, data]));
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
