// The slice of the Freelens 2 extension API this package uses, declared from the host's
// published contract (docs/extensions/api.md and migrating-from-v1.md in the Freelens
// repository, v2.0.0): the package `@freelensapp/extensions` is not on the registry here.
// At build time the module id resolves to the host's global (extension/host-modules.mjs):
// FreelensExtensionApi on Freelens 2 (api.md C2), LensExtensions on Freelens 1 and OpenLens,
// whose API has the same shape for what this extension uses (plus Main's trayMenus).

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
    class LensExtension extends Common.LensExtension {
      /** Freelens 1 and OpenLens only (Freelens 2 removed tray menus). */
      trayMenus?: unknown[];
      /**
       * The environment of each terminal the host opens (ShellEnvModifier): return `env`
       * as passed when not changing it.
       */
      terminalShellEnvModifier?: (
        ctx: { catalogEntity: { metadata: { uid: string; name: string } } },
        env: Record<string, string | undefined>,
      ) => Record<string, string | undefined>;
    }

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

  /**
   * The renderer side (api.md; the same registrations as Lens 6's LensRendererExtension):
   * the host reads these arrays when it enables the extension. Components are function
   * components rendered by the host's React.
   */
  export namespace Renderer {
    type FC<P = object> = (props: P) => unknown;

    interface PageRegistration {
      id?: string;
      components: { Page: FC };
    }
    interface StatusBarRegistration {
      components: { Item: FC; position?: 'left' | 'right' };
    }
    interface AppPreferenceRegistration {
      title: string;
      id?: string;
      showInPreferencesTab?: string;
      components: { Input: FC; Hint: FC };
    }
    interface WelcomeMenuRegistration {
      title: string | (() => string);
      icon: string;
      click: () => void | Promise<void>;
    }
    interface CommandRegistration {
      id: string;
      title: string | ((context: unknown) => string);
      action: (context: unknown) => void;
      isActive?: (context: unknown) => boolean;
    }
    interface ProtocolHandlerRegistration {
      pathSchema: string;
      handler: (params: {
        pathname: Record<string, string | undefined>;
        search: Record<string, string | undefined>;
      }) => void;
    }

    class LensExtension extends Common.LensExtension {
      globalPages: PageRegistration[];
      statusBarItems: StatusBarRegistration[];
      appPreferences: AppPreferenceRegistration[];
      welcomeMenus: WelcomeMenuRegistration[];
      commands: CommandRegistration[];
      protocolHandlers: ProtocolHandlerRegistration[];
      /** Shows one of this extension's global pages (its id; the first when absent). */
      navigate(pageId?: string, params?: Record<string, unknown>): Promise<void>;
    }

    /** The host's catalog (Lens 6 and Freelens: an observable registry of entities). */
    namespace Catalog {
      const catalogEntities:
        | {
            getItemsForApiKind(apiVersion: string, kind: string): unknown[];
          }
        | undefined;
    }

    /** The renderer side of the extension IPC: invoke a main handler, listen to broadcasts. */
    abstract class Ipc {
      constructor(extension: LensExtension);
      static createInstance<T extends Ipc>(
        this: new (
          extension: LensExtension,
        ) => T,
        extension: LensExtension,
      ): T;
      static getInstance<T extends Ipc>(this: new (extension: LensExtension) => T): T;
      invoke(channel: string, ...args: unknown[]): Promise<unknown>;
      listen(channel: string, listener: (event: unknown, ...args: unknown[]) => void): Disposer;
    }
  }
}
