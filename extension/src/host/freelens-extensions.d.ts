// The slice of the Freelens 2 extension API this package uses, declared from the host's
// published contract (docs/extensions/api.md and migrating-from-v1.md in the Freelens
// repository, v2.0.0): the package `@freelensapp/extensions` is not on the registry here.
// At build time the module id resolves to ./freelens-extensions-shim.ts, which reads the
// host's global, as the real package's shim does (api.md C2).

declare module '@freelensapp/extensions' {
  /** A disposer, as the host's registrations return. */
  type Disposer = () => void;

  export namespace Common {
    interface LensExtensionManifest {
      name: string;
      version: string;
      description?: string;
      main?: string;
      renderer?: string;
      engines?: { freelens?: string; lens?: string };
    }

    /** What the host constructs an extension with. */
    interface InstalledExtension {
      readonly id: string;
      readonly manifestPath: string;
      readonly manifest: LensExtensionManifest;
      readonly isEnabled: boolean;
      readonly isCompatible: boolean;
    }

    interface Logger {
      debug(message: string, ...args: unknown[]): void;
      info(message: string, ...args: unknown[]): void;
      warn(message: string, ...args: unknown[]): void;
      error(message: string, ...args: unknown[]): void;
    }

    const logger: Logger;

    /** api.md C6: the read-only members and the author hooks of both processes. */
    class LensExtension {
      constructor(extension: InstalledExtension);
      readonly id: string;
      readonly manifest: LensExtensionManifest;
      readonly manifestPath: string;
      readonly name: string;
      readonly version: string;
      readonly isEnabled: boolean;
      /** A writable folder of this extension's own, kept across reinstalls. */
      getExtensionFileFolder(): Promise<string>;
      onActivate(): Promise<void> | void;
      onDeactivate(): Promise<void> | void;
    }
  }

  export namespace Main {
    class LensExtension extends Common.LensExtension {}

    /**
     * The main side of the extension IPC (migrating-from-v1.md, "Node and Electron in the
     * renderer"): subclass it, `createInstance(extension)` in onActivate; a handler may
     * return anything that survives structured cloning. The first argument of a handler or
     * listener is Electron's event, which this extension never reads.
     */
    abstract class Ipc {
      constructor(extension: LensExtension);
      static createInstance<T extends Ipc>(
        this: new (
          extension: LensExtension,
        ) => T,
        extension: LensExtension,
      ): T;
      static getInstance<T extends Ipc>(this: new (extension: LensExtension) => T): T;
      handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void;
      listen(channel: string, listener: (event: unknown, ...args: unknown[]) => void): Disposer;
      broadcast(channel: string, ...args: unknown[]): void;
    }
  }
}
