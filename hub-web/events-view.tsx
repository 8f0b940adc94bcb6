// The Events view: filters (device, user, sandbox, kind, host, outcome, least severity, time
// range), keyset pages (Newer / Older) and the JSON of a record.

import { observer } from 'mobx-react-lite';
import type { FormEvent } from 'react';
import { HUB_SEVERITIES } from '../supervisor/api/hub-admin.ts';
import { when } from './format.ts';
import type { EventFilterForm, HubPageStore } from './store.ts';

const FILTERS: Array<[keyof EventFilterForm, string, string]> = [
  ['device', 'Device', 'text'],
  ['user', 'User', 'text'],
  ['sandbox', 'Sandbox', 'text'],
  ['kind', 'Kind', 'text'],
  ['host', 'Host', 'text'],
  ['outcome', 'Outcome', 'text'],
  ['from', 'From (UTC)', 'datetime-local'],
  ['to', 'To (UTC)', 'datetime-local'],
];

export const Events = observer(({ store }: { store: HubPageStore }) => {
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
        <label>
          Severity at least{' '}
          <select
            name="severity"
            value={store.filter.severity}
            onChange={(e) => store.setFilter('severity', e.target.value)}
          >
            <option value="">any</option>
            {HUB_SEVERITIES.slice(0, 4).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead>
          <tr>
            {['Time', 'Device', 'Seq', 'Kind', 'User', 'Host', 'Outcome', 'Sandbox'].map((h) => (
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
              <td>{e.sandboxId ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {store.partial && (
        <p className="note">Only part of the range was read for the severity filter: Older reads on.</p>
      )}
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
          <button
            type="button"
            className="download-proof"
            onClick={() => void store.downloadProof(store.selected!.device, store.selected!.seq)}
          >
            Download proof
          </button>
          <pre>{JSON.stringify(JSON.parse(store.selected.body), null, 2)}</pre>
        </div>
      )}
    </section>
  );
});
