// The hub's web page (served by `warden hub` under /admin): sign in, then devices, events,
// alerts and enrollment tokens, refreshed live.

import { observer } from 'mobx-react-lite';
import { createRoot } from 'react-dom/client';
import { HubAdminApi } from './api.ts';
import { Page } from './page-view.tsx';
import { SignIn } from './sign-in-view.tsx';
import { HubPageStore } from './store.ts';
import './styles.css';

const App = observer(({ store }: { store: HubPageStore }) => {
  if (!store.checked) return null;
  return store.session ? <Page store={store} /> : <SignIn store={store} />;
});

const store = new HubPageStore(new HubAdminApi());
void store.start();
createRoot(document.getElementById('root') as HTMLElement).render(<App store={store} />);
