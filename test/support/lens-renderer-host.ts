// A Lens host's renderer, stood in for in Debian's Chromium (test-only): builds the host
// page of each flavor with that host's library versions as its globals, serves it and the
// extension's package folder on a routed origin (no network), and joins the page's
// Renderer.Ipc to a main-side stand-in (freelens-host.ts) fed by a real daemon.
//   freelens2: React 19, MobX 7, mobx-react 10 on FreelensExtensionApi; ESM entry by URL.
//   legacy:    React 17, MobX 6, mobx-react 7 as top-level globals; CommonJS entry.
// The legacy versions and mobx-react 10 come from extension/node_modules (npm aliases in
// extension/package.json); React 19 and MobX 7 from the root's node_modules.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import type { Broadcast, LoadedExtension } from './freelens-host.ts';
import { PAGE_HTML } from './lens-page/host-page.ts';

export type RendererFlavor = 'freelens2' | 'legacy';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rootModules = path.join(root, 'node_modules');
const extModules = path.join(root, 'extension', 'node_modules');

/** Each flavor's packages: name → the folder it is read from. */
const LIBS: Record<RendererFlavor, Record<string, string>> = {
  freelens2: {
    react: path.join(rootModules, 'react'),
    'react-dom': path.join(rootModules, 'react-dom'),
    mobx: path.join(rootModules, 'mobx'),
    'mobx-react': path.join(extModules, 'mobx-react-10'),
    'mobx-react-lite': path.join(extModules, 'mobx-react-lite'),
  },
  legacy: {
    react: path.join(extModules, 'react-17'),
    'react-dom': path.join(extModules, 'react-dom-17'),
    mobx: path.join(extModules, 'mobx-6'),
    'mobx-react': path.join(extModules, 'mobx-react-7'),
    'mobx-react-lite': path.join(extModules, 'mobx-react-7', 'node_modules', 'mobx-react-lite'),
  },
};

/** Why the host pages cannot be built here, or null. */
export function hostLibsMissing(): string | null {
  for (const dir of [...Object.values(LIBS.freelens2), ...Object.values(LIBS.legacy)])
    if (!existsSync(path.join(dir, 'package.json')))
      return `${dir} is missing: run npm ci --prefix extension (the hosts' React and MobX versions)`;
  return null;
}

/** The version of each library a flavor's page runs. */
export function hostVersions(flavor: RendererFlavor): Record<string, string> {
  return Object.fromEntries(
    Object.entries(LIBS[flavor]).map(([name, dir]) => [
      name,
      (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version,
    ]),
  );
}

function pinLibs(flavor: RendererFlavor): Plugin {
  const libs = LIBS[flavor];
  return {
    name: `pin-${flavor}`,
    setup(b) {
      b.onResolve({ filter: /^(react|react-dom|mobx|mobx-react|mobx-react-lite)(\/.*)?$/ }, (args) => {
        const m = /^(react-dom|react|mobx-react-lite|mobx-react|mobx)(\/.*)?$/.exec(args.path)!;
        const dir = libs[m[1]!]!;
        const require = createRequire(path.join(dir, 'package.json'));
        return { path: require.resolve(`${dir}${m[2] ?? ''}`) };
      });
    },
  };
}

const pages = new Map<RendererFlavor, Promise<string>>();

/** The host page's script of `flavor` (built once per process). */
export function hostScript(flavor: RendererFlavor): Promise<string> {
  let p = pages.get(flavor);
  if (!p) {
    p = build({
      entryPoints: [path.join(root, 'test', 'support', 'lens-page', `${flavor}.ts`)],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome108',
      define: { 'process.env.NODE_ENV': '"development"' },
      plugins: [pinLibs(flavor)],
      logLevel: 'warning',
    }).then((r) => r.outputFiles[0]!.text);
    pages.set(flavor, p);
  }
  return p;
}

export const ORIGIN = 'http://lens.test';

export interface LensPage {
  page: Page;
  /** Page errors and console errors, in order. */
  errors: string[];
  /** Pass main's broadcasts into the page. */
  forward(b: Broadcast): void;
  /** Loads and activates the package's renderer entry. */
  load(): Promise<void>;
  close(): Promise<void>;
}

export async function openLensPage(
  browser: Browser,
  flavor: RendererFlavor,
  packageDir: string,
  main: () => LoadedExtension,
): Promise<LensPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  const script = await hostScript(flavor);
  await context.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/')
      return route.fulfill({
        contentType: 'text/html',
        body: PAGE_HTML.replace('</body>', '<script src="/host.js"></script></body>'),
      });
    if (url.pathname === '/host.js') return route.fulfill({ contentType: 'text/javascript', body: script });
    if (url.pathname.startsWith('/ext/')) {
      const file = path.join(packageDir, path.normalize(url.pathname.slice(5)));
      if (!file.startsWith(packageDir) || !existsSync(file))
        return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ contentType: 'text/javascript', body: readFileSync(file, 'utf8') });
    }
    return route.fulfill({ status: 404, body: 'not found' });
  });
  await page.exposeFunction('__wardenInvoke', (channel: string, args: unknown[]) =>
    main().invoke(channel, ...args),
  );
  await page.goto(`${ORIGIN}/`);
  const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    renderer: string;
  };
  let queue = Promise.resolve();
  return {
    page,
    errors,
    forward(b) {
      queue = queue
        .then(() =>
          page.evaluate(
            ([c, a]) =>
              (window as unknown as { __lensBroadcast(c: string, a: unknown[]): void }).__lensBroadcast(
                c as string,
                a as unknown[],
              ),
            [b.channel, b.args] as const,
          ),
        )
        .catch(() => {});
    },
    async load() {
      await page.evaluate(
        ([url, m]) =>
          (window as unknown as { lensHost: { load(u: string, m: unknown): Promise<void> } }).lensHost.load(
            url as string,
            m,
          ),
        [`${ORIGIN}/ext/${manifest.renderer}`, { name: manifest.name, version: manifest.version }] as const,
      );
    },
    async close() {
      await queue;
      await context.close();
    },
  };
}
