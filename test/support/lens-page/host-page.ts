// The renderer side of a Lens host, stood in for inside a Chromium page (test-only code):
// the Renderer API slice the extension uses (LensExtension with its registrations and
// navigate, Ipc with invoke and listen), following Freelens 2's api.md and Lens 6's
// LensRendererExtension, which agree on it. invoke goes to the test's main-side stand-in
// through window.__wardenInvoke (playwright's exposeFunction); the test pushes main's
// broadcasts in with window.__lensBroadcast. The host renders the status bar items, the
// global page it is navigated to and the preferences pane with its own React.

type Component = () => unknown;
type Listener = (event: unknown, ...args: unknown[]) => void;

export interface HostLibs {
  flavor: 'freelens2' | 'legacy';
  createElement(type: unknown, props?: unknown, ...children: unknown[]): unknown;
  render(el: HTMLElement, node: unknown): void;
  /** The host's catalog entities: an observable array of the page's MobX, as the host's is. */
  catalog: { replace(items: unknown[]): void } & unknown[];
}

interface Registrations {
  globalPages: Array<{ id?: string; components: { Page: Component } }>;
  statusBarItems: Array<{ components: { Item: Component } }>;
  appPreferences: Array<{ title: string; components: { Input: Component; Hint: Component } }>;
  welcomeMenus: Array<{ title: string; click: () => void }>;
  commands: Array<{ id: string; title: string; action: (context: unknown) => void }>;
  protocolHandlers: Array<{ pathSchema: string; handler: (params: unknown) => void }>;
  onActivate(): Promise<void> | void;
  onDeactivate(): Promise<void> | void;
}

interface Win {
  __wardenInvoke(channel: string, args: unknown[]): Promise<unknown>;
  __lensBroadcast(channel: string, args: unknown[]): void;
  lensHost: unknown;
}

export function makeRendererApi(libs: HostLibs) {
  const w = window as unknown as Win;
  const listeners = new Map<string, Set<Listener>>();
  let shown: string | null = null;
  let current: Registrations | null = null;

  const el = (id: string) => document.getElementById(id) as HTMLElement;
  const h = libs.createElement;

  function showPage(pageId: string | undefined): void {
    if (!current) return;
    const page = current.globalPages.find((p) => p.id === pageId) ?? current.globalPages[0];
    if (!page) throw new Error(`no global page ${pageId}`);
    shown = page.id ?? '';
    libs.render(el('page'), h(page.components.Page));
  }

  class LensExtension {
    readonly id: string;
    readonly manifest: { name: string; version: string };
    globalPages = [];
    statusBarItems = [];
    appPreferences = [];
    welcomeMenus = [];
    commands = [];
    protocolHandlers = [];
    constructor(ext: { id: string; manifest: { name: string; version: string } }) {
      this.id = ext.id;
      this.manifest = ext.manifest;
    }
    get name(): string {
      return this.manifest.name;
    }
    get version(): string {
      return this.manifest.version;
    }
    async navigate(pageId?: string): Promise<void> {
      showPage(pageId);
    }
    onActivate(): void {}
    onDeactivate(): void {}
  }

  const instances = new Map<unknown, Ipc>();
  abstract class Ipc {
    constructor(readonly extension: LensExtension) {}
    static createInstance(this: new (e: LensExtension) => Ipc, extension: LensExtension): Ipc {
      // biome-ignore lint/complexity/noThisInStatic: the subclass is the key
      if (instances.has(this)) throw new Error('an instance was already created');
      const i = new this(extension);
      // biome-ignore lint/complexity/noThisInStatic: the subclass is the key
      instances.set(this, i);
      return i;
    }
    invoke(channel: string, ...args: unknown[]): Promise<unknown> {
      return w.__wardenInvoke(channel, args);
    }
    listen(channel: string, listener: Listener): () => void {
      const set = listeners.get(channel) ?? new Set();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    }
  }

  w.__lensBroadcast = (channel, args) => {
    for (const l of listeners.get(channel) ?? []) l({ sender: 'main' }, ...args);
  };

  const host = {
    flavor: libs.flavor,
    /** Loads the renderer entry at `url` as this host does, activates it and renders its parts. */
    async load(url: string, manifest: { name: string; version: string }): Promise<void> {
      let Ext: new (e: unknown) => Registrations;
      if (libs.flavor === 'freelens2') {
        Ext = ((await import(/* @vite-ignore */ url)) as { default: typeof Ext }).default;
      } else {
        // require(entry).default in a page with Node: the package has no dependencies, so
        // any require() is a missing module.
        const code = await (await fetch(url)).text();
        const module = { exports: {} as { default?: typeof Ext } };
        const require = (id: string) => {
          throw new Error(`Cannot find module '${id}'`);
        };
        new Function('module', 'exports', 'require', code)(module, module.exports, require);
        if (!module.exports.default) throw new Error('the renderer entry has no default export');
        Ext = module.exports.default;
      }
      const ext = new Ext({
        id: manifest.name,
        manifest,
        manifestPath: '',
        isEnabled: true,
        isCompatible: true,
      });
      current = ext;
      await ext.onActivate();
      libs.render(
        el('statusbar'),
        h('div', null, ...ext.statusBarItems.map((s, i) => h(s.components.Item, { key: i }))),
      );
      libs.render(
        el('prefs'),
        h(
          'div',
          null,
          ...ext.appPreferences.map((p, i) =>
            h('section', { key: i }, h('h3', null, p.title), h(p.components.Input), h(p.components.Hint)),
          ),
        ),
      );
      libs.render(
        el('welcome'),
        h('div', null, ...ext.welcomeMenus.map((m, i) => h('button', { key: i, onClick: m.click }, m.title))),
      );
    },
    shown: () => shown,
    commands: () => current?.commands.map((c) => ({ id: c.id, title: c.title })) ?? [],
    runCommand(id: string): void {
      const c = current?.commands.find((x) => x.id === id);
      if (!c) throw new Error(`no command ${id}`);
      c.action({});
    },
    /** A deep link freelens://extension/<name><path>, as the host routes it. */
    openLink(linkPath: string): void {
      for (const p of current?.protocolHandlers ?? []) {
        const names: string[] = [];
        const re = new RegExp(
          `^${p.pathSchema.replace(/:([A-Za-z]+)/g, (_m, n: string) => {
            names.push(n);
            return '([^/]+)';
          })}$`,
        );
        const m = re.exec(linkPath);
        if (!m) continue;
        const pathname = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
        p.handler({ pathname, search: {} });
        return;
      }
      throw new Error(`no handler for ${linkPath}`);
    },
    async deactivate(): Promise<void> {
      await current?.onDeactivate();
    },
  };
  const catalogEntities = {
    getItemsForApiKind: (apiVersion: string, kind: string) =>
      (libs.catalog as unknown as Array<{ apiVersion: string; kind: string }>).filter(
        (e) => e.apiVersion === apiVersion && e.kind === kind,
      ),
  };
  w.lensHost = {
    ...host,
    /** Replace the catalog's entities (KubernetesCluster-like objects). */
    setCatalog(items: unknown[]) {
      libs.catalog.replace(items);
    },
  };
  return { LensExtension, Ipc, Catalog: { catalogEntities } };
}

export const PAGE_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>Lens host stand-in</title>
<style>body{margin:0;font-family:sans-serif;background:#1e2124;color:#ddd}
#statusbar{height:22px;background:#3d90ce;color:#fff;display:flex;justify-content:flex-end;font-size:12px}
#page{height:calc(100vh - 22px);overflow:auto}#prefs{padding:16px 24px}#welcome{display:none}</style></head>
<body><div id="statusbar"></div><div id="page"></div><div id="prefs"></div><div id="welcome"></div></body></html>`;
