// What `@freelensapp/extensions` resolves to in the Freelens 2 build: the host assigns its
// API to one global in each process before it loads extensions (api.md C2), and this
// re-exports it, as the real package's shim does. Main publishes Common and Main.

interface FreelensApiGlobal {
  Common?: unknown;
  Main?: unknown;
  Renderer?: unknown;
}

const api = (globalThis as { FreelensExtensionApi?: FreelensApiGlobal }).FreelensExtensionApi;
if (!api) {
  throw new Error(
    'Warden: globalThis.FreelensExtensionApi is missing, so this host is not Freelens 2; ' +
      'install the Warden package built for Freelens 1 and OpenLens instead',
  );
}

export const Common = api.Common;
export const Main = api.Main;
export const Renderer = api.Renderer;
