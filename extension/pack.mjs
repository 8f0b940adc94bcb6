// Builds both packages of the Warden extension and packs each into an installable .tgz with
// `npm pack` (the file to pick on a host's Extensions page):
//   extension/dist/warden-freelens-<version>.tgz   Freelens 2.x
//   extension/dist/warden-lens-<version>.tgz       Freelens 1.x and OpenLens / Lens 6.5
// `node extension/pack.mjs [--out DIR]`.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackages } from './build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Builds both packages under `dist` and packs them into `out`; returns the .tgz paths. */
export async function packPackages({ dist = path.join(here, 'dist'), out = dist } = {}) {
  mkdirSync(out, { recursive: true });
  const built = await buildPackages({ dist });
  return built.map(({ outdir }) => {
    const report = JSON.parse(
      execFileSync('npm', ['pack', outdir, '--pack-destination', out, '--json', '--ignore-scripts'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    return path.join(out, report[0].filename);
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : undefined;
  for (const file of await packPackages(out ? { out } : {}))
    process.stdout.write(`${path.relative(process.cwd(), file) || file}\n`);
}
