// The Tokens view: create an enrollment token (shown once), list them by hash, expire one.

import { observer } from 'mobx-react-lite';
import { useState } from 'react';
import { when } from './format.ts';
import type { HubPageStore } from './store.ts';

export const Tokens = observer(({ store }: { store: HubPageStore }) => {
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
