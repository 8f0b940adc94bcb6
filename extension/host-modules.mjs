// The host's modules as each host publishes them, for esbuild: an extension bundles none of
// React, MobX, mobx-react or the extension API (a second React or MobX breaks hooks and
// observables) but reads the host's. Freelens 2 puts them on globalThis.FreelensExtensionApi
// (React, ReactDom, Mobx, MobxReact, and Common/Main/Renderer); Freelens 1 and OpenLens on
// top-level globals (React, ReactDOM, Mobx, MobxReact, LensExtensions).

/** The names the extension's source imports from each module. */
const NAMES = {
  react: ['createElement', 'Fragment', 'useState', 'useEffect', 'useRef', 'useCallback', 'useMemo'],
  mobx: ['makeAutoObservable', 'runInAction', 'observable', 'computed', 'action', 'reaction', 'autorun'],
  'mobx-react': ['observer'],
  '@freelensapp/extensions': ['Common', 'Main', 'Renderer'],
};

/** Where each module is read from, per host. */
export const HOST_GLOBALS = {
  freelens: {
    react: 'globalThis.FreelensExtensionApi?.React',
    mobx: 'globalThis.FreelensExtensionApi?.Mobx',
    'mobx-react': 'globalThis.FreelensExtensionApi?.MobxReact',
    '@freelensapp/extensions': 'globalThis.FreelensExtensionApi',
  },
  legacy: {
    react: 'globalThis.React',
    mobx: 'globalThis.Mobx',
    'mobx-react': 'globalThis.MobxReact',
    '@freelensapp/extensions': 'globalThis.LensExtensions',
  },
};

function moduleSource(id, expr, host) {
  const other =
    host === 'freelens'
      ? 'install the Warden package built for Freelens 1 and OpenLens instead'
      : 'install the Warden package built for Freelens 2 instead';
  const lines = [
    `const m = ${expr};`,
    `if (!m) throw new Error(${JSON.stringify(`Warden: the host does not provide ${id} (${expr.replace('?.', '.')}); ${other}`)});`,
    'export default m;',
  ];
  for (const name of NAMES[id]) lines.push(`export const ${name} = m.${name};`);
  return lines.join('\n');
}

/**
 * An esbuild plugin mapping the host's modules to its globals; `external(path)` says which
 * other bare specifiers may stay external (Node's built-ins in main), `bundled` which
 * packages are bundled in; any other one is an error, since the package has no dependencies.
 */
export function hostModules(
  host,
  { modules = Object.keys(NAMES), external = () => false, bundled = [] } = {},
) {
  const globals = HOST_GLOBALS[host];
  return {
    name: `host-modules-${host}`,
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (modules.includes(args.path)) return { path: args.path, namespace: 'host-module' };
        if (external(args.path)) return { path: args.path, external: true };
        if (bundled.includes(args.path.split('/')[0])) return undefined;
        return {
          errors: [
            {
              text: `${args.path} is not bundled: the package has no dependencies (import it by a relative path)`,
            },
          ],
        };
      });
      b.onLoad({ filter: /.*/, namespace: 'host-module' }, (args) => ({
        contents: moduleSource(args.path, globals[args.path], host),
        loader: 'js',
      }));
    },
  };
}
