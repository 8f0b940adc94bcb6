// The signed-in page: the header with its tabs, the error line, and the view of the tab. Every
// value from the hub is rendered as React text (never as HTML), so a record's host or body
// cannot inject markup.

import { observer } from 'mobx-react-lite';
import { Alerts } from './alerts-view.tsx';
import { Approvals } from './approvals-view.tsx';
import { DeviceDetail } from './device-view.tsx';
import { Devices } from './devices-view.tsx';
import { Events } from './events-view.tsx';
import { Exports } from './exports-view.tsx';
import type { HubPageStore, Tab } from './store.ts';
import { Tokens } from './tokens-view.tsx';

const TABS: Tab[] = ['devices', 'approvals', 'events', 'alerts', 'tokens', 'exports'];

export const Page = observer(({ store }: { store: HubPageStore }) => (
  <div className="page">
    <header>
      <strong>Warden hub</strong>
      <nav>
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            className={store.tab === t || (t === 'devices' && store.tab === 'device') ? 'on' : ''}
            onClick={() => store.setTab(t)}
          >
            {t}
            {t === 'alerts' && ` (${store.alerts.filter((a) => !a.ack).length})`}
            {t === 'approvals' && ` (${store.approvals.filter((a) => a.state === 'pending').length})`}
          </button>
        ))}
      </nav>
      <span className="who">{store.session?.name}</span>
      <button type="button" onClick={() => void store.signOut()}>
        Sign out
      </button>
    </header>
    {store.error && (
      <p className="error" role="alert">
        {store.error}
      </p>
    )}
    {store.tab === 'devices' && <Devices store={store} />}
    {store.tab === 'approvals' && <Approvals store={store} />}
    {store.tab === 'events' && <Events store={store} />}
    {store.tab === 'alerts' && <Alerts store={store} />}
    {store.tab === 'tokens' && <Tokens store={store} />}
    {store.tab === 'exports' && <Exports store={store} />}
    {store.tab === 'device' && <DeviceDetail store={store} />}
  </div>
));
