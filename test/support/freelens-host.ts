// A stand-in for the hosts' main process. Freelens 2, following its published contract
// (docs/extensions/api.md and migrating-from-v1.md at v2.0.0): it reads a package folder's
// package.json, refuses it unless engines.freelens accepts 2.x (C14), assigns
// globalThis.FreelensExtensionApi = { Common, Main, Mobx } (C2, C3), imports the `main`
// entry from its file URL (C4), constructs the default export with the installed
// extension and calls onActivate. Freelens 1 and OpenLens (`host: 'freelens1' | 'lens'`):
// engines.freelens ^1.x or engines.lens ^6.x, the globals LensExtensions = { Common, Main }
// and Mobx, `require(main).default`, and the tray menus read after activation. Main.Ipc
// is the documented singleton (createInstance, handle, listen, broadcast); values cross
// it by structured cloning, as Electron's IPC does.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as Mobx from 'mobx';
import { makeTempDir } from './temp-dir.ts';

export interface Broadcast {
  channel: string;
  args: unknown[];
}

export type MainHost = 'freelens2' | 'freelens1' | 'lens';

export interface LoadedExtension {
  manifest: { name: string; version: string; main: string; engines?: Record<string, string> };
  /** The labels of the extension's tray menu items now (legacy hosts; [] on Freelens 2). */
  trayLabels(): string[];
  /** Pages the extension's main side asked the host to show (navigate). */
  navigations: string[];
  /** The host's call of the extension's terminalShellEnvModifier, as it opens a terminal. */
  terminalEnv(
    clusterName: string,
    env: Record<string, string | undefined>,
  ): Record<string, string | undefined>;
  /** What the renderer's `Renderer.Ipc.invoke(channel, ...args)` would get. */
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  /** Every broadcast, in order. */
  broadcasts: Broadcast[];
  /** The host logger's lines (level and text). */
  logs: string[];
  channels(): string[];
  deactivate(): Promise<void>;
}

interface InstalledExtension {
  id: string;
  manifestPath: string;
  manifest: LoadedExtension['manifest'];
  isEnabled: boolean;
  isCompatible: boolean;
}

let loads = 0;

/** `^MAJOR.MINOR` as the host rebuilds it (api.md C14): does it accept `hostVersion`? */
export function acceptsHost(range: string | undefined, hostVersion: string): boolean {
  const m = /^\^?(\d+)\.(\d+)/.exec(range ?? '');
  if (!m) return false;
  const [major, minor] = hostVersion.split('.').map(Number);
  return Number(m[1]) === major && (minor ?? 0) >= Number(m[2]);
}

export interface LoadOptions {
  /** Which host to stand in for (default Freelens 2). */
  host?: MainHost;
  hostVersion?: string;
  /** Called with each broadcast as it is made (a renderer stand-in listens). */
  onBroadcast?(broadcast: Broadcast): void;
  /** The Mobx the legacy hosts publish as a global in main (default: the root's). */
  mobx?: unknown;
  /** What getExtensionFileFolder() answers (default: a fresh folder, removed on deactivate). */
  filesDir?: string;
}

export async function loadFreelensExtension(
  packageDir: string,
  opts: LoadOptions = {},
): Promise<LoadedExtension> {
  const host = opts.host ?? 'freelens2';
  const hostVersion = opts.hostVersion ?? { freelens2: '2.0.0', freelens1: '1.9.0', lens: '6.5.2' }[host];
  const manifestPath = path.join(packageDir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as LoadedExtension['manifest'];
  const engine = host === 'lens' ? 'lens' : 'freelens';
  if (!acceptsHost(manifest.engines?.[engine], hostVersion))
    throw new Error(`isCompatible: false (engines.${engine} ${manifest.engines?.[engine]})`);
  const navigations: string[] = [];
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const broadcasts: Broadcast[] = [];
  const logs: string[] = [];
  const files = opts.filesDir
    ? { dir: opts.filesDir, dispose: () => {} }
    : makeTempDir('warden-freelens-files-');
  const prefix = `extensions@${manifest.name}:`;

  class LensExtension {
    readonly id: string;
    readonly manifest: LoadedExtension['manifest'];
    readonly manifestPath: string;
    readonly isEnabled: boolean;
    constructor(ext: InstalledExtension) {
      this.id = ext.id;
      this.manifest = ext.manifest;
      this.manifestPath = ext.manifestPath;
      this.isEnabled = ext.isEnabled;
    }
    get name(): string {
      return this.manifest.name;
    }
    get version(): string {
      return this.manifest.version;
    }
    async getExtensionFileFolder(): Promise<string> {
      mkdirSync(files.dir, { recursive: true });
      return files.dir;
    }
    async navigate(pageId?: string): Promise<void> {
      navigations.push(pageId ?? '');
    }
    onActivate(): void {}
    onDeactivate(): void {}
  }

  // One instance per subclass, as the host's singleton does: `this` in the statics is the
  // extension's subclass, not Ipc.
  const instances = new Map<unknown, Ipc>();
  abstract class Ipc {
    readonly extension: LensExtension;
    constructor(extension: LensExtension) {
      this.extension = extension;
    }
    static createInstance(this: new (e: LensExtension) => Ipc, extension: LensExtension): Ipc {
      // biome-ignore lint/complexity/noThisInStatic: the subclass is the key
      if (instances.has(this)) throw new Error('an instance was already created');
      const instance = new this(extension);
      // biome-ignore lint/complexity/noThisInStatic: the subclass is the key
      instances.set(this, instance);
      return instance;
    }
    static getInstance(this: new (e: LensExtension) => Ipc): Ipc {
      // biome-ignore lint/complexity/noThisInStatic: the subclass is the key
      const instance = instances.get(this);
      if (!instance) throw new Error('no instance created yet');
      return instance;
    }
    handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void {
      // Electron refuses a second handler for one channel.
      if (handlers.has(prefix + channel))
        throw new Error(`Attempted to register a second handler for '${prefix + channel}'`);
      handlers.set(prefix + channel, handler);
    }
    listen(): () => void {
      return () => {};
    }
    broadcast(channel: string, ...args: unknown[]): void {
      const b = { channel, args: structuredClone(args) };
      broadcasts.push(b);
      opts.onBroadcast?.(b);
    }
  }

  const line =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      logs.push(`${level} ${[message, ...args.map((a) => JSON.stringify(a))].join(' ')}`);
  const logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const api = { Common: { LensExtension, logger }, Main: { LensExtension, Ipc } };
  const g = globalThis as { FreelensExtensionApi?: unknown; LensExtensions?: unknown; Mobx?: unknown };
  let Extension: new (e: InstalledExtension) => LensExtension;
  if (host === 'freelens2') {
    g.FreelensExtensionApi = { ...api, Mobx };
    delete g.LensExtensions;
    delete g.Mobx;
    // A fresh URL per load, as the host imports a reload (C4).
    const entry = `${pathToFileURL(path.join(packageDir, manifest.main)).href}?load=${++loads}`;
    Extension = ((await import(entry)) as { default: typeof Extension }).default;
  } else {
    delete g.FreelensExtensionApi;
    g.LensExtensions = api;
    g.Mobx = opts.mobx ?? Mobx;
    const require = createRequire(path.join(packageDir, 'package.json'));
    const entry = require.resolve(`./${manifest.main}`);
    delete require.cache[entry];
    Extension = (require(entry) as { default: typeof Extension }).default;
  }
  const extension = new Extension({
    id: manifestPath,
    manifestPath,
    manifest,
    isEnabled: true,
    isCompatible: true,
  });
  await extension.onActivate();
  return {
    manifest,
    navigations,
    terminalEnv(clusterName, env) {
      type Modifier = (
        ctx: unknown,
        env: Record<string, string | undefined>,
      ) => Record<string, string | undefined>;
      const modify = (extension as { terminalShellEnvModifier?: Modifier }).terminalShellEnvModifier;
      if (!modify) return env;
      const catalogEntity = {
        metadata: { name: clusterName, uid: `uid-${clusterName}` },
        kind: 'KubernetesCluster',
      };
      return modify({ catalogEntity }, { ...env });
    },
    trayLabels() {
      const menus = (extension as { trayMenus?: Array<{ label?: unknown }> }).trayMenus ?? [];
      return menus.map((m) =>
        typeof m.label === 'object' && m.label !== null && 'get' in m.label
          ? String((m.label as { get(): unknown }).get())
          : String(m.label),
      );
    },
    broadcasts,
    logs,
    channels: () => [...handlers.keys()].map((k) => k.slice(prefix.length)),
    async invoke(channel, ...args) {
      const handler = handlers.get(prefix + channel);
      if (!handler) throw new Error(`No handler registered for '${prefix + channel}'`);
      try {
        return structuredClone(await handler({ sender: 'renderer' }, ...structuredClone(args)));
      } catch (error) {
        throw new Error(`Error invoking remote method '${prefix + channel}': ${error}`);
      }
    },
    async deactivate() {
      await extension.onDeactivate();
      files.dispose();
    },
  };
}
