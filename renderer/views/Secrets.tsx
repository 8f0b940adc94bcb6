// Secrets: names and the hosts they are bound to. A value is typed into a password field,
// sent once, and the field is cleared at once; it is never shown again.

import { observer } from 'mobx-react-lite';
import { useRef, useState } from 'react';
import type { InjectMode } from '../../supervisor/api/messages.ts';
import type { BridgeError } from '../client/client.ts';
import type { SecretsStore } from '../stores/lists.ts';
import { Empty, ErrorBox, formatTime, Loading } from './common.tsx';

export const SecretsView = observer(function SecretsView({ store }: { store: SecretsStore }) {
  const [error, setError] = useState<BridgeError | null>(null);
  const [saved, setSaved] = useState('');
  const list = store.list.value;
  return (
    <section className="view secrets" aria-labelledby="secrets-title">
      <header className="view-head">
        <h1 id="secrets-title">Secrets</h1>
      </header>
      <p className="sub">
        Sandboxes see placeholders; the proxy swaps in the real value only on requests to the bound hosts.
      </p>
      {store.list.error ? <ErrorBox error={store.list.error} onRetry={() => void store.list.load()} /> : null}
      {!list && store.list.loading ? <Loading what="secrets" /> : null}
      {list && list.length === 0 ? <Empty title="No secret yet.">Add one below.</Empty> : null}
      {list && list.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Bound hosts</th>
              <th>Injected as</th>
              <th>Updated</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.name}>
                <td>
                  <strong>{s.name}</strong>
                </td>
                <td>{s.hosts.join(', ')}</td>
                <td>
                  <code>{s.inject}</code>
                </td>
                <td>{formatTime(s.updatedAt)}</td>
                <td>
                  <button
                    type="button"
                    className="deny"
                    onClick={async () => {
                      if (!window.confirm(`Remove the secret ${s.name}? Sandboxes lose it at once.`)) return;
                      const r = await store.remove(s.name);
                      setError(r.ok ? null : r.error);
                    }}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <AddSecret
        store={store}
        onDone={(name, e) => {
          setError(e);
          setSaved(e ? '' : name);
        }}
      />
      {saved ? (
        <p className="notice" role="status">
          Saved {saved}. Its value is not shown again.
        </p>
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
    </section>
  );
});

function AddSecret({
  store,
  onDone,
}: {
  store: SecretsStore;
  onDone: (name: string, e: BridgeError | null) => void;
}) {
  const [name, setName] = useState('');
  const [hosts, setHosts] = useState('');
  const [inject, setInject] = useState('bearer');
  const [header, setHeader] = useState('');
  const [busy, setBusy] = useState(false);
  const value = useRef<HTMLInputElement>(null);
  return (
    <form
      className="form"
      autoComplete="off"
      onSubmit={async (e) => {
        e.preventDefault();
        const input = value.current;
        if (!input) return;
        // The value leaves the DOM before the request is even sent.
        const secret = input.value;
        input.value = '';
        setBusy(true);
        const mode = (inject === 'header' ? `header:${header}` : inject) as InjectMode;
        const r = await store.add(
          name.trim(),
          secret,
          hosts
            .split(/[\s,]+/)
            .map((h) => h.trim())
            .filter(Boolean),
          mode,
        );
        setBusy(false);
        if (r.ok) {
          setName('');
          setHosts('');
        }
        onDone(name.trim(), r.ok ? null : r.error);
      }}
    >
      <h2>Add a secret</h2>
      <div className="fields">
        <label>
          Name
          <input
            name="secret-name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            pattern="[A-Za-z_][A-Za-z0-9_]*"
            title="letters, digits and _"
            required
          />
        </label>
        <label className="wide">
          Bound hosts (comma separated)
          <input
            name="secret-hosts"
            value={hosts}
            onChange={(e) => setHosts(e.target.value)}
            placeholder="api.example.com, *.example.org"
            required
          />
        </label>
        <label>
          Injected as
          <select name="secret-inject" value={inject} onChange={(e) => setInject(e.target.value)}>
            <option value="bearer">Authorization: Bearer</option>
            <option value="basic">Authorization: Basic</option>
            <option value="header">a header…</option>
          </select>
        </label>
        {inject === 'header' ? (
          <label>
            Header name
            <input value={header} onChange={(e) => setHeader(e.target.value)} required />
          </label>
        ) : null}
        <label className="wide">
          Value (sent once, never shown again)
          <input name="secret-value" ref={value} type="password" autoComplete="new-password" required />
        </label>
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Saving…' : 'Add secret'}
      </button>
    </form>
  );
}
