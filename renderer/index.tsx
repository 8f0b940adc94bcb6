// The renderer's entry: choose the client (the Electron preload's bridge, or HTTP in
// browser mode with the session got for the one-time code in the URL), build the stores, render.

import { createRoot } from 'react-dom/client';
import type { WardenClient } from './client/client.ts';
import { createHttpClient } from './client/http-client.ts';
import { createPreloadClient } from './client/preload-client.ts';
import { takeSession } from './client/token.ts';
import { RootStore } from './stores/root.ts';
import { App } from './views/App.tsx';
// xterm's styles go in app.css: the terminal's code is a chunk loaded on demand.
import '@xterm/xterm/css/xterm.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import './views/charts/charts.css';

async function chooseClient(): Promise<WardenClient | { problem: string; hint: string }> {
  if (window.warden) return createPreloadClient(window.warden, window.wardenDesktop);
  const session = await takeSession();
  return 'token' in session ? createHttpClient({ baseUrl: '', token: session.token }) : session;
}

function showProblem(container: HTMLElement, problem: { problem: string; hint: string }): void {
  const box = document.createElement('div');
  box.className = 'state error';
  const title = document.createElement('p');
  title.className = 'state-title';
  title.textContent = problem.problem;
  const hint = document.createElement('p');
  hint.className = 'hint';
  hint.textContent = problem.hint;
  box.append(title, hint);
  container.replaceChildren(box);
}

const container = document.getElementById('root')!;
void chooseClient().then((client) => {
  if ('problem' in client) return showProblem(container, client);
  const root = new RootStore(client);
  root.start();
  createRoot(container).render(<App root={root} />);
});
