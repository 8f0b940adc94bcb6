import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
interface BuilderConfig {
  appId: string;
  productName: string;
  npmRebuild: boolean;
  asarUnpack: string[];
  extraMetadata: { main: string };
  extraResources: Array<{ from: string; to: string; filter: string[] }>;
  linux: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
}
const config = parse(readFileSync(path.join(root, 'build/electron-builder.yml'), 'utf8')) as BuilderConfig;
const pngSize = (file: string) => {
  const b = readFileSync(file);
  assert.equal(b.subarray(1, 4).toString(), 'PNG', file);
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
};

test('electron-builder config parses and targets Linux (AppImage, deb), macOS (dmg), Windows (nsis)', () => {
  assert.equal(config.appId, 'dev.warden.desktop');
  assert.equal(config.productName, 'Warden');
  assert.deepEqual(config.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.equal(config.npmRebuild, true, 'better-sqlite3 rebuilt for Electron');
  assert.ok(config.asarUnpack.includes('node_modules/better-sqlite3/**/*'));
  assert.ok(config.asarUnpack.includes('bin/warden.mjs'));
});

test('the files it references exist', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(config.extraMetadata.main, pkg.main);
  assert.equal(pkg.main, 'dist/main/index.cjs');
  for (const f of [config.mac.icon, config.win.icon, 'bin/warden.mjs', 'main/index.ts', 'main/preload.ts'])
    assert.ok(existsSync(path.join(root, f)), f);
  for (const f of config.extraResources[0]!.filter)
    assert.ok(existsSync(path.join(root, config.extraResources[0]!.from, f)), f);
  for (const s of [16, 32, 64, 128, 256, 512]) {
    assert.deepEqual(pngSize(path.join(root, config.linux.icon, `${s}x${s}.png`)), [s, s]);
  }
  assert.deepEqual(pngSize(path.join(root, 'assets/icon.png')), [512, 512]);
  assert.deepEqual(pngSize(path.join(root, 'assets/trayTemplate.png')), [16, 16]);
  assert.deepEqual(pngSize(path.join(root, 'assets/trayTemplate@2x.png')), [32, 32]);
  assert.ok(existsSync(path.join(root, 'node_modules/better-sqlite3')), 'the native module to unpack');
});

test('the build produced CommonJS main and preload bundles with only electron external', () => {
  const dist = path.join(root, 'dist/main');
  if (!existsSync(path.join(dist, 'preload.cjs'))) return; // `npm test` builds first
  const preload = readFileSync(path.join(dist, 'preload.cjs'), 'utf8');
  const requires = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(requires)], ['electron'], 'a sandboxed preload may require only electron');
  assert.doesNotMatch(preload, /exposeInMainWorld\("warden", import_electron\.ipcRenderer\)/);
});
