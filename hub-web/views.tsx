// The page's views. Every value from the hub is rendered as React text (never as HTML), so a
// record's host or body cannot inject markup.

import { observer } from 'mobx-react-lite';
import { type FormEvent, useState } from 'react';
import type { HubAlertView, HubDeviceView } from '../supervisor/api/hub-admin.ts';
import type { EventFilterForm, HubPageStore, Tab } from './store.ts';

const when = (ms: number | null) =>
  ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const span = (ms: number | null) =>
  ms === null
    ? '—'
    : ms < 1000
      ? `${ms} ms`
      : ms < 120_000
        ? `${Math.round(ms / 1000)} s`
        : `${Math.round(ms / 60_000)} min`;

export const SignIn = observer(({ store }: { store: HubPageStore }) => {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void store.signIn(name, password);
  };
  return (
    <form className="sign-in" onSubmit={submit}>
      <h1>Warden hub</h1>
      <label>
        Name{' '}
        <input name="name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="username" />
      </label>
      <label>
        Password{' '}
        <input
          name="password"
          type="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          autoComplete="current-password"
        />
      </label>
      <button type="submit">Sign in</button>
      {store.error && (
        <p className="error" role="alert">
          {store.error}
        </p>
      )}
    </form>
  );
});

const TABS: Tab[] = ['devices', 'events', 'alerts', 'tokens'];

export const Page = observer(({ store }: { store: HubPageStore }) => (
  <div className="page">
    <header>
      <strong>Warden hub</strong>
      <nav>
        {TABS.map((t) => (
          <button
            key={t}
            type="button"
            className={store.tab === t ? 'on' : ''}
            onClick={() => store.setTab(t)}
          >
            {t}
            {t === 'alerts' && ` (${store.alerts.filter((a) => !a.ack).length})`}
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
    {store.tab === 'events' && <Events store={store} />}
    {store.tab === 'alerts' && <Alerts store={store} />}
    {store.tab === 'tokens' && <Tokens store={store} />}
  </div>
));

const DeviceRow = ({ d, store }: { d: HubDeviceView; store: HubPageStore }) => (
  <tr data-device={d.id}>
    <td>{d.user}</td>
    <td>{d.machine}</td>
    <td>{d.os}</td>
    <td>{d.version}</td>
    <td>{when(d.lastSeen)}</td>
    <td>{span(d.lagMs)}</td>
    <td>{d.backlog ?? '—'}</td>
    <td>
      {d.badges.map((b) => (
        <span key={b} className={`badge ${b}`}>
          {b}
        </span>
      ))}
    </td>
    <td className="mono">{d.fingerprint}</td>
    <td>
      {d.revokedAt === null && (
        <button type="button" onClick={() => void store.revoke(d.id)}>
          Revoke
        </button>
      )}
    </td>
    <td className={`policy ${d.policy?.state ?? 'none'}`} title={d.policy?.reported ?? ''}>
      {d.policy ? `${d.policy.state}${d.policy.group ? ` (${d.policy.group})` : ''}` : '—'}
    </td>
  </tr>
);

const Devices = observer(({ store }: { store: HubPageStore }) => (
  <table className="devices">
    <thead>
      <tr>
        {[
          'User',
          'Machine',
          'OS',
          'Version',
          'Last seen',
          'Lag',
          'Backlog',
          'Chain',
          'Key',
          '',
          'Policy',
        ].map((h) => (
          <th key={h}>{h}</th>
        ))}
      </tr>
    </thead>
    <tbody>
      {store.devices.map((d) => (
        <DeviceRow key={d.id} d={d} store={store} />
      ))}
    </tbody>
  </table>
));

const FILTERS: Array<[keyof EventFilterForm, string, string]> = [
  ['device', 'Device', 'text'],
  ['kind', 'Kind', 'text'],
  ['host', 'Host', 'text'],
  ['outcome', 'Outcome', 'text'],
  ['from', 'From (UTC)', 'datetime-local'],
  ['to', 'To (UTC)', 'datetime-local'],
];

const Events = observer(({ store }: { store: HubPageStore }) => {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void store.applyFilter();
  };
  return (
    <section className="events">
      <form className="filters" onSubmit={submit}>
        {FILTERS.map(([key, label, type]) => (
          <label key={key}>
            {label}{' '}
            <input
              name={key}
              type={type}
              value={store.filter[key]}
              onChange={(e) => store.setFilter(key, e.target.value)}
            />
          </label>
        ))}
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead>
          <tr>
            {['Time', 'Device', 'Seq', 'Kind', 'User', 'Host', 'Outcome'].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {store.events.map((e) => (
            <tr key={`${e.device}.${e.seq}`} className="event" onClick={() => store.select(e)}>
              <td>{when(e.time)}</td>
              <td className="mono">{e.device.slice(0, 8)}</td>
              <td>{e.seq}</td>
              <td>{e.kind}</td>
              <td>{e.user}</td>
              <td className="host">{e.host ?? '—'}</td>
              <td>{e.outcome ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="paging">
        <button type="button" disabled={store.pages.length === 0} onClick={() => void store.newer()}>
          Newer
        </button>
        <button type="button" disabled={!store.next} onClick={() => void store.older()}>
          Older
        </button>
      </div>
      {store.selected && (
        <div className="record">
          <button type="button" onClick={() => store.select(null)}>
            Close
          </button>
          <pre>{JSON.stringify(JSON.parse(store.selected.body), null, 2)}</pre>
        </div>
      )}
    </section>
  );
});

const AlertRow = ({ a, store }: { a: HubAlertView; store: HubPageStore }) => {
  const [note, setNote] = useState('');
  return (
    <tr data-alert={a.id}>
      <td>{when(a.at)}</td>
      <td className="mono">{a.device.slice(0, 8)}</td>
      <td>{a.kind}</td>
      <td>{a.seq ?? '—'}</td>
      <td>{a.message}</td>
      <td>
        {a.ack ? (
          <span className="acked">
            {a.ack.admin}: {a.ack.note}
          </span>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              void store.ack(a.id, note);
            }}
          >
            <input name="note" placeholder="note" value={note} onChange={(e) => setNote(e.target.value)} />
            <button type="submit">Acknowledge</button>
          </form>
        )}
      </td>
    </tr>
  );
};

const Alerts = observer(({ store }: { store: HubPageStore }) => (
  <table className="alerts">
    <thead>
      <tr>
        {['Raised', 'Device', 'Kind', 'Seq', 'Message', 'Acknowledged'].map((h) => (
          <th key={h}>{h}</th>
        ))}
      </tr>
    </thead>
    <tbody>
      {store.alerts.map((a) => (
        <AlertRow key={a.id} a={a} store={store} />
      ))}
    </tbody>
  </table>
));

const Tokens = observer(({ store }: { store: HubPageStore }) => {
  const [hours, setHours] = useState(24);
  const now = Date.now();
  return (
    <section className="tokens">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void store.createToken(hours);
        }}
      >
        <label>
          Valid for (hours){' '}
          <input
            name="ttl"
            type="number"
            min={1}
            max={720}
            value={hours}
            onChange={(e) => setHours(Number(e.target.value))}
          />
        </label>
        <button type="submit">Create token</button>
      </form>
      {store.newToken && (
        <div className="new-token">
          <p>Shown once: give it to the device's owner (warden sync enroll).</p>
          <code>{store.newToken}</code>
          <button type="button" onClick={() => store.dismissToken()}>
            Done
          </button>
        </div>
      )}
      <table>
        <thead>
          <tr>
            {['Id', 'Created', 'Expires', 'State', ''].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {store.tokens.map((t) => {
            const state = t.spent
              ? `used by ${t.device?.slice(0, 8)}`
              : t.expires <= now
                ? 'expired'
                : 'open';
            return (
              <tr key={t.id} data-token={t.id}>
                <td className="mono">{t.id.slice(0, 12)}</td>
                <td>{when(t.created)}</td>
                <td>{when(t.expires)}</td>
                <td>{state}</td>
                <td>
                  {state === 'open' && (
                    <button type="button" onClick={() => void store.expireToken(t.id)}>
                      Expire
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
});
