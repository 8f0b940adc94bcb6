// The Alerts view: each alert with its device, seq and message; acknowledge with a note.

import { observer } from 'mobx-react-lite';
import { useState } from 'react';
import type { HubAlertView } from '../supervisor/api/hub-admin.ts';
import { when } from './format.ts';
import type { HubPageStore } from './store.ts';

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

export const Alerts = observer(({ store }: { store: HubPageStore }) => (
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
