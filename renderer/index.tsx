// The renderer's entry: choose the client (the Electron preload's bridge, or HTTP in
// browser mode with the token from the URL fragment), build the stores, render.

import { createRoot } from 'react-dom/client';
import type { WardenClient } from './client/client.ts';
import { createHttpClient } from './client/http-client.ts';
import { createPreloadClient } from './client/preload-client.ts';
import { takeToken } from './client/token.ts';
import { RootStore } from './stores/root.ts';
import { App } from './views/App.tsx';
// xterm's styles go in app.css: the terminal's code is a chunk loaded on demand.
import '@xterm/xterm/css/xterm.css';
import './styles.css';

function chooseClient(): WardenClient | null {
  if (window.warden) return createPreloadClient(window.warden);
  const token = takeToken();
  return token ? createHttpClient({ baseUrl: '', token }) : null;
}

const container = document.getElementById('root')!;
const client = chooseClient();
if (!client) {
  container.innerHTML = `<div class="state error"><p class="state-title">No access token.</p>
    <p class="hint">Open this page with the URL <code>warden ui</code> prints: it carries the token in its #fragment.</p></div>`;
} else {
  const root = new RootStore(client);
  root.start();
  createRoot(container).render(<App root={root} />);
}
