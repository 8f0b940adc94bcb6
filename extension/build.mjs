// Builds the Freelens 2 package of the Warden extension into extension/dist/freelens/: a
// complete package folder (package.json with engines.freelens ^2.0.0, the ESM main entry)
// with zero runtime dependencies and no install scripts, since Freelens 2 only extracts
// the tarball (migrating-from-v1.md). `@freelensapp/extensions` resolves to the shim that
// reads the host's global; Node's built-ins stay external in main, everything else (the
// API client, the contract) is bundled. `node extension/build.mjs` or `npm run build`.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/** The package's name: Freelens installs it under a folder named after it. */
export const FREELENS_PACKAGE_NAME = 'warden-freelens';

const hostApi = {
  name: 'freelens-extension-api',
  setup(b) {
    b.onResolve({ filter: /^@freelensapp\/extensions$/ }, () => ({
      path: path.join(here, 'src/host/freelens-extensions-shim.ts'),
    }));
    // Anything else bare would be a runtime dependency, which the package must not have.
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      return {
        errors: [
          {
            text: `${args.path} is not bundled into the main entry: import it by a relative path, or bundle it deliberately`,
          },
        ],
      };
    });
  },
};

/** Builds the Freelens 2 package into `outdir` (default extension/dist/freelens). */
export async function buildFreelensPackage({ outdir = path.join(here, 'dist', 'freelens') } = {}) {
  const { version, license } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { main: path.join(here, 'src/main/index.ts') },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // Freelens 2 runs on Electron 43 or later (api.md C13); Node 22 is a floor below it.
    target: 'node22',
    supported: { decorators: false },
    plugins: [hostApi],
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  const manifest = {
    name: FREELENS_PACKAGE_NAME,
    version,
    description:
      "Warden's approvals, activity and sandboxes inside Freelens: every governed agent on this machine.",
    license,
    type: 'module',
    main: 'main.js',
    engines: { freelens: '^2.0.0' },
    keywords: ['freelens', 'freelens-extension', 'warden'],
  };
  writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { outdir, manifest };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { outdir } = await buildFreelensPackage();
  process.stdout.write(`built ${path.relative(process.cwd(), outdir) || outdir}\n`);
}
