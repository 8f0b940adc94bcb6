// Builds the two packages of the Warden extension from one source, each a complete package
// folder with zero runtime dependencies and no install scripts:
//   dist/freelens/  Freelens 2: engines.freelens ^2.0.0, ESM main and ESM renderer (loaded by
//                   URL); the host's modules from globalThis.FreelensExtensionApi.
//   dist/legacy/    Freelens 1 and OpenLens / Lens 6.5: engines freelens ^1.0.0 and lens
//                   ^6.5.0, CommonJS (require(entry).default), classic JSX; the host's modules
//                   from the globals LensExtensions, React, Mobx, MobxReact.
// Node's built-ins and electron stay external in main; everything else (the API client, the
// contract) is bundled. `node extension/build.mjs` or `npm run build`; pack.mjs packs them.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { hostModules } from './host-modules.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/** The packages' names: a host installs each under a folder named after it. */
export const FREELENS_PACKAGE_NAME = 'warden-freelens';
export const LEGACY_PACKAGE_NAME = 'warden-lens';

const DESCRIPTION =
  "Warden's approvals, activity and sandboxes inside Lens: every governed agent on this machine.";
const nodeExternal = (p) => p.startsWith('node:') || builtinModules.includes(p) || p === 'electron';
/** Packages bundled into main (the package still has no dependencies). */
const MAIN_BUNDLED = ['yaml'];
const jsx = { jsx: 'transform', jsxFactory: 'React.createElement', jsxFragment: 'React.Fragment' };

function common() {
  return {
    bundle: true,
    supported: { decorators: false },
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
}

function fresh(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
}

function writeManifest(outdir, manifest) {
  writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    path.join(outdir, 'README.md'),
    `# ${manifest.name}\n\n${DESCRIPTION}\n\nBuilt from the Warden repository (extension/); see its README, "Lens and Freelens".\n`,
  );
}

/**
 * One package: main (Node) and renderer (browser) bundles with the host's modules mapped to
 * its globals, then its package.json. `host` picks the globals; the rest differs per host.
 */
async function buildPackage(
  outdir,
  { host, format, mainEntry, nodeTarget, browserTarget, banner, manifest },
) {
  const { version, license } = fresh(outdir);
  await build({
    ...common(),
    entryPoints: { main: path.join(here, mainEntry) },
    outdir,
    platform: 'node',
    format,
    target: nodeTarget,
    ...(banner ? { banner: { js: banner } } : {}),
    plugins: [
      hostModules(host, {
        modules: ['@freelensapp/extensions'],
        external: nodeExternal,
        bundled: MAIN_BUNDLED,
      }),
    ],
  });
  await build({
    ...common(),
    ...jsx,
    entryPoints: { renderer: path.join(here, 'src/renderer/index.tsx') },
    outdir,
    platform: 'browser',
    format,
    target: browserTarget,
    plugins: [hostModules(host)],
  });
  const full = {
    name: manifest.name,
    version,
    description: DESCRIPTION,
    license,
    ...(format === 'esm' ? { type: 'module' } : {}),
    main: 'main.js',
    renderer: 'renderer.js',
    ...manifest.fields,
  };
  writeManifest(outdir, full);
  return { outdir, manifest: full };
}

/** Builds the Freelens 2 package into `outdir` (default extension/dist/freelens). */
export function buildFreelensPackage({ outdir = path.join(here, 'dist', 'freelens') } = {}) {
  return buildPackage(outdir, {
    host: 'freelens',
    format: 'esm',
    mainEntry: 'src/main/index.ts',
    // Freelens 2 runs on Electron 43 or later (api.md C13); Node 22 is a floor below it.
    nodeTarget: 'node22',
    browserTarget: 'chrome120',
    // A bundled CommonJS package (yaml) calls require() for built-ins, which ES modules lack.
    banner:
      "import { createRequire as __wardenCreateRequire } from 'node:module';\nconst require = __wardenCreateRequire(import.meta.url);",
    manifest: {
      name: FREELENS_PACKAGE_NAME,
      fields: {
        engines: { freelens: '^2.0.0' },
        keywords: ['freelens', 'freelens-extension', 'warden'],
      },
    },
  });
}

/** Builds the Freelens 1 / OpenLens package into `outdir` (default extension/dist/legacy). */
export function buildLegacyPackage({ outdir = path.join(here, 'dist', 'legacy') } = {}) {
  return buildPackage(outdir, {
    host: 'legacy',
    format: 'cjs',
    mainEntry: 'src/legacy/main.ts',
    // OpenLens 6.5 runs on Electron 22: Node 16, Chrome 108.
    nodeTarget: 'node16',
    browserTarget: 'chrome108',
    manifest: {
      name: LEGACY_PACKAGE_NAME,
      fields: {
        engines: { freelens: '^1.0.0', lens: '^6.5.0' },
        keywords: ['freelens', 'openlens', 'lens-extension', 'warden'],
      },
    },
  });
}

/** Both packages, into extension/dist/ (or `dist`). */
export async function buildPackages({ dist = path.join(here, 'dist') } = {}) {
  return [
    await buildFreelensPackage({ outdir: path.join(dist, 'freelens') }),
    await buildLegacyPackage({ outdir: path.join(dist, 'legacy') }),
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { outdir } of await buildPackages())
    process.stdout.write(`built ${path.relative(process.cwd(), outdir) || outdir}\n`);
}
