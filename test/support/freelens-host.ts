// A stand-in for Freelens 2's main process, following the host's published contract
// (docs/extensions/api.md and migrating-from-v1.md at v2.0.0): it reads a package folder's
// package.json, refuses it unless engines.freelens accepts 2.x (C14), assigns
// globalThis.FreelensExtensionApi = { Common, Main, Mobx } (C2, C3), imports the `main`
// entry from its file URL (C4), constructs the default export with the installed
// extension and calls onActivate. Main.Ipc is the documented singleton (createInstance,
// handle, listen, broadcast); values cross it by structured cloning, as Electron's IPC does.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as Mobx from 'mobx';
import { makeTempDir } from './temp-dir.ts';

export interface Broadcast {
  channel: string;
  args: unknown[];
}

export interface LoadedExtension {
  manifest: { name: string; version: string; main: string; engines?: Record<string, string> };
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
  hostVersion?: string;
  /** What getExtensionFileFolder() answers (default: a fresh folder, removed on deactivate). */
  filesDir?: string;
}

export async function loadFreelensExtension(
  packageDir: string,
  opts: LoadOptions = {},
): Promise<LoadedExtension> {
  const hostVersion = opts.hostVersion ?? '2.0.0';
  const manifestPath = path.join(packageDir, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as LoadedExtension['manifest'];
  if (!acceptsHost(manifest.engines?.freelens, hostVersion))
    throw new Error(`isCompatible: false (engines.freelens ${manifest.engines?.freelens})`);
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
      broadcasts.push({ channel, args: structuredClone(args) });
    }
  }

  const line =
    (level: string) =>
    (message: string, ...args: unknown[]) =>
      logs.push(`${level} ${[message, ...args.map((a) => JSON.stringify(a))].join(' ')}`);
  const logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  (globalThis as { FreelensExtensionApi?: unknown }).FreelensExtensionApi = {
    Common: { LensExtension, logger },
    Main: { LensExtension, Ipc },
    Mobx,
  };
  // A fresh URL per load, as the host imports a reload (C4).
  const entry = `${pathToFileURL(path.join(packageDir, manifest.main)).href}?load=${++loads}`;
  const Extension = ((await import(entry)) as { default: new (e: InstalledExtension) => LensExtension })
    .default;
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
