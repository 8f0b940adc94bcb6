// Starting a worker entry from sources without a TypeScript loader inside the worker. tsx,
// registered in a new thread, costs 0.4–0.9 s there (its loader-hooks thread and its own
// module graph); verify's slices paid that on every `verify()` run from sources, more than
// half of the 1M-record figure. An entry whose bundle is self-contained is instead bundled
// once per thread by esbuild (a dev dependency, like tsx, used only from sources) into one
// ES module and started from a data: URL, as the bundle (dist/<name>.mjs) would start it.
//
// Self-contained means: every import left outside the bundle is a `node:` built-in (a data:
// module cannot resolve a package), and every file that reads `import.meta` sits in the
// entry's folder, so `import.meta.url` can be defined as the entry's own URL (what it is used
// for there: createRequire and sibling entries, both relative to that folder). Any other
// entry, or any failure here, returns null and the caller takes the tsx path.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Entry URL → its module as a data: URL, or null when it is not self-contained. */
const BUNDLES = new Map<string, URL | null>();

interface BuildResult {
  outputFiles: Array<{ text: string }>;
  metafile: { inputs: Record<string, { imports: Array<{ path: string; external?: boolean }> }> };
}

type BuildSync = (options: Record<string, unknown>) => BuildResult;

export function bundledWorkerUrl(entryUrl: string): URL | null {
  if (!BUNDLES.has(entryUrl)) BUNDLES.set(entryUrl, bundle(entryUrl));
  return BUNDLES.get(entryUrl) ?? null;
}

/** The bundle of `entryUrl` if this thread made it already (never builds one). */
export function madeBundleUrl(entryUrl: string): URL | null {
  return BUNDLES.get(entryUrl) ?? null;
}

/** Take bundles another thread made (entry URL → data: URL), so this one need not make them. */
export function adoptBundles(bundles: Readonly<Record<string, string>>): void {
  for (const [entry, url] of Object.entries(bundles))
    if (!BUNDLES.has(entry)) BUNDLES.set(entry, new URL(url));
}

function bundle(entryUrl: string): URL | null {
  try {
    const entry = fileURLToPath(entryUrl);
    const folder = path.dirname(entry);
    const { buildSync } = createRequire(entryUrl)('esbuild') as { buildSync: BuildSync };
    const result = buildSync({
      entryPoints: [entry],
      absWorkingDir: folder,
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
      define: { 'import.meta.url': JSON.stringify(entryUrl) },
    });
    for (const [input, { imports }] of Object.entries(result.metafile.inputs)) {
      if (imports.some((i) => i.external && !i.path.startsWith('node:'))) return null;
      const file = path.resolve(folder, input);
      if (path.dirname(file) !== folder && readFileSync(file, 'utf8').includes('import.meta')) return null;
    }
    const code = result.outputFiles[0]?.text;
    if (code === undefined || code.includes('import.meta')) return null;
    return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
  } catch {
    return null;
  }
}
