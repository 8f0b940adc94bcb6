// The two .tgz files (extension/pack.mjs) installed as each host installs them, then both
// entries loaded from there: Freelens 2 only extracts the tarball; Freelens 1 unpacks it
// under ~/.freelens/extensions and links it into its user-data folder with pnpm (its
// arguments: install --prefer-offline --prod --force --save-optional <folder>); OpenLens
// does the same under ~/.k8slens/extensions with npm (a file: dependency, --omit=dev
// --prefer-offline --no-package-lock). No entry may require a module the host lacks.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as Mobx from 'mobx';
import { observer } from 'mobx-react-lite';
import * as React from 'react';
import { packPackages } from '../../extension/pack.mjs';
import type { Snapshot } from '../../extension/src/common/ipc.ts';
import { WARDEN_IPC } from '../../extension/src/common/ipc.ts';
import { until } from '../support/daemon.ts';
import { loadFreelensExtension, type MainHost } from '../support/freelens-host.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const work = makeTempDir('warden-lens-install-');
let tgz: { freelens: string; legacy: string };

before(async () => {
  const [freelens, legacy] = await packPackages({
    dist: path.join(work.dir, 'dist'),
    out: path.join(work.dir, 'out'),
  });
  tgz = { freelens: freelens!, legacy: legacy! };
});
after(() => work.dispose());

const hasPnpm = (() => {
  try {
    execFileSync('pnpm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function untar(file: string, into: string): void {
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['xzf', file, '-C', into, '--strip-components=1']);
}

/** The renderer side's Renderer API, as far as constructing the entry needs it. */
const rendererApi = {
  LensExtension: class {
    manifest: unknown;
    constructor(ext: { manifest: unknown }) {
      this.manifest = ext.manifest;
    }
  },
  Ipc: class {},
};

interface RendererShape {
  globalPages: Array<{ id: string }>;
  statusBarItems: unknown[];
  commands: Array<{ id: string }>;
  welcomeMenus: unknown[];
  appPreferences: Array<{ title: string }>;
  protocolHandlers: Array<{ pathSchema: string }>;
}

function assertRenderer(ext: RendererShape): void {
  assert.deepEqual(
    ext.globalPages.map((p) => p.id),
    ['agents'],
  );
  assert.equal(ext.statusBarItems.length, 1);
  assert.deepEqual(
    ext.commands.map((c) => c.id),
    ['warden-agents'],
  );
  assert.equal(ext.welcomeMenus.length, 1);
  assert.equal(ext.appPreferences[0]?.title, 'Warden');
  assert.deepEqual(
    ext.protocolHandlers.map((h) => h.pathSchema),
    ['/approvals/:id'],
  );
}

function assertNoDependencies(dir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const field of [
    'dependencies',
    'peerDependencies',
    'optionalDependencies',
    'scripts',
    'bundleDependencies',
  ])
    assert.equal(manifest[field], undefined, `no ${field}`);
  assert.ok(!existsSync(path.join(dir, 'node_modules')), 'nothing installed inside the extension');
}

async function loadMain(dir: string, host: MainHost) {
  process.env.WARDEN_HOME = path.join(work.dir, `no-daemon-${host}`);
  const ext = await loadFreelensExtension(dir, { host });
  try {
    const s = await until('the daemon-absent state', async () => {
      const c = ((await ext.invoke(WARDEN_IPC.snapshot)) as Snapshot).connection;
      return c.kind === 'daemon-absent' && c;
    });
    assert.equal(s.command, 'warden daemon');
  } finally {
    await ext.deactivate();
  }
}

test('Freelens 2: the tarball extracted under extensions/, both entries load', async () => {
  const dir = path.join(work.dir, 'freelens2-user-data', 'extensions', 'warden-freelens');
  untar(tgz.freelens, dir);
  assertNoDependencies(dir);
  await loadMain(dir, 'freelens2');
  const g = globalThis as { FreelensExtensionApi?: unknown };
  g.FreelensExtensionApi = { React, Mobx, MobxReact: { observer }, Renderer: rendererApi };
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const mod = (await import(pathToFileURL(path.join(dir, manifest.renderer)).href)) as {
    default: new (e: unknown) => RendererShape;
  };
  assertRenderer(new mod.default({ manifest }));
  delete g.FreelensExtensionApi;
});

async function legacyInstall(manager: 'pnpm' | 'npm', home: string, userData: string) {
  const dir = path.join(home, 'extensions', 'warden-lens');
  untar(tgz.legacy, dir);
  assertNoDependencies(dir);
  mkdirSync(userData, { recursive: true });
  const env = {
    ...process.env,
    npm_config_cache: path.join(work.dir, 'npm-cache'),
    npm_config_update_notifier: 'false',
  };
  if (manager === 'pnpm') {
    writeFileSync(path.join(userData, 'package.json'), JSON.stringify({ private: true }));
    execFileSync('pnpm', ['install', '--prefer-offline', '--prod', '--force', '--save-optional', dir], {
      cwd: userData,
      env: {
        ...env,
        PNPM_HOME: path.join(work.dir, 'pnpm-home'),
        pnpm_config_store_dir: path.join(work.dir, 'pnpm-store'),
      },
      stdio: 'pipe',
      timeout: 120_000,
    });
  } else {
    writeFileSync(
      path.join(userData, 'package.json'),
      JSON.stringify({ dependencies: { 'warden-lens': `file:${dir}` } }),
    );
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--omit=dev', '--prefer-offline', '--no-package-lock'],
      {
        cwd: userData,
        env,
        stdio: 'pipe',
        timeout: 120_000,
      },
    );
  }
  const installed = path.join(userData, 'node_modules', 'warden-lens');
  assert.equal(realpathSync(installed), realpathSync(dir), `${manager} linked the unpacked folder`);
  assert.deepEqual(
    readdirSync(path.join(userData, 'node_modules')).filter((n) => !n.startsWith('.')),
    ['warden-lens'],
    'nothing else was installed',
  );
  return installed;
}

function loadLegacyRenderer(dir: string): void {
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, { React, Mobx, MobxReact: { observer }, LensExtensions: { Renderer: rendererApi } });
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const require = createRequire(path.join(dir, 'package.json'));
    const Ext = (require(`./${manifest.renderer}`) as { default: new (e: unknown) => RendererShape }).default;
    assertRenderer(new Ext({ manifest }));
  } finally {
    for (const k of ['React', 'Mobx', 'MobxReact', 'LensExtensions']) delete g[k];
  }
}

test(`Freelens 1: unpacked under ~/.freelens/extensions, linked with ${hasPnpm ? 'pnpm' : 'npm (no pnpm here)'}, both entries load`, async () => {
  const installed = await legacyInstall(
    hasPnpm ? 'pnpm' : 'npm',
    path.join(work.dir, 'home1', '.freelens'),
    path.join(work.dir, 'freelens1-user-data'),
  );
  await loadMain(installed, 'freelens1');
  loadLegacyRenderer(installed);
});

test('OpenLens: unpacked under ~/.k8slens/extensions, installed with npm, both entries load', async () => {
  const installed = await legacyInstall(
    'npm',
    path.join(work.dir, 'home2', '.k8slens'),
    path.join(work.dir, 'openlens-user-data'),
  );
  await loadMain(installed, 'lens');
  loadLegacyRenderer(installed);
});

test('the renderer entries touch no Node and no daemon: no require, no import, no token header', () => {
  for (const [file, dir] of [
    [tgz.freelens, path.join(work.dir, 'pure', 'freelens')],
    [tgz.legacy, path.join(work.dir, 'pure', 'legacy')],
  ] as const) {
    untar(file, dir);
    const code = readFileSync(path.join(dir, 'renderer.js'), 'utf8');
    assert.doesNotMatch(code, /\brequire\(/, 'no require()');
    assert.doesNotMatch(code, /^\s*import\b|\bimport\(/m, 'no import');
    assert.doesNotMatch(code, /node:|Authorization|Bearer /, 'nothing of Node or of the daemon');
  }
});

test('each package refuses the other host', async () => {
  const f2 = path.join(work.dir, 'refuse', 'freelens');
  const legacy = path.join(work.dir, 'refuse', 'legacy');
  untar(tgz.freelens, f2);
  untar(tgz.legacy, legacy);
  await assert.rejects(loadFreelensExtension(f2, { host: 'freelens1' }), /isCompatible: false/);
  await assert.rejects(loadFreelensExtension(f2, { host: 'lens' }), /isCompatible: false/);
  await assert.rejects(loadFreelensExtension(legacy, { host: 'freelens2' }), /isCompatible: false/);
});
