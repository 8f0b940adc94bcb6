// The preferences pane: the Warden state folder (where the daemon's socket and token are;
// empty for $WARDEN_HOME or the default), native notifications for new approvals, governed
// Lens terminals and the clusters whose Kubernetes API is read-only for agents.

import { observer } from 'mobx-react';
import React, { useState } from 'react';
import type { NotificationsPref } from '../common/ipc.ts';
import { ErrorLine } from './ErrorLine.tsx';
import type { WardenStore } from './store.ts';

export const PreferencesInput = observer(function PreferencesInput({ store }: { store: WardenStore }) {
  const current = store.snapshot?.stateFolder ?? '';
  const [folder, setFolder] = useState<string | null>(null);
  const shown = folder ?? current;
  const n = store.snapshot?.notifications;
  return (
    <div className="warden-prefs" data-warden-prefs="">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void store
            .setStateFolder(shown.trim() === '' ? null : shown.trim())
            .then((ok) => ok && setFolder(null));
        }}
      >
        <label>
          Warden state folder{' '}
          <input
            type="text"
            aria-label="Warden state folder"
            value={shown}
            placeholder="$WARDEN_HOME or the default"
            onChange={(e) => setFolder(e.target.value)}
          />
        </label>{' '}
        <button type="submit">Save</button>
      </form>
      <label>
        Notifications for new approvals{' '}
        <select
          aria-label="Notifications"
          value={n?.pref ?? 'auto'}
          onChange={(e) => void store.setNotifications(e.target.value as NotificationsPref)}
        >
          <option value="auto">on, unless the Warden desktop app runs</option>
          <option value="on">on</option>
          <option value="off">off</option>
        </select>
      </label>
      {n ? (
        <p className="warden-muted">
          {!n.supported
            ? 'This host shows no native notifications.'
            : n.active
              ? 'New approvals show a notification.'
              : n.desktopAppRunning && n.pref === 'auto'
                ? 'The Warden desktop app runs and notifies: this extension does not.'
                : 'New approvals show no notification.'}
        </p>
      ) : null}
      <TerminalsInput store={store} />
      {store.prefsError ? <ErrorLine error={store.prefsError} /> : null}
    </div>
  );
});

/** Which clusters' Lens terminals go through a Warden listener (governed and audited). */
const TerminalsInput = observer(function TerminalsInput({ store }: { store: WardenStore }) {
  const t = store.snapshot?.terminals;
  const pref = t?.pref ?? { mode: 'off' as const, clusters: [] };
  const [names, setNames] = useState<string | null>(null);
  const shown = names ?? pref.clusters.join(', ');
  const list = (text: string) =>
    text
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c !== '');
  return (
    <div className="warden-terminals">
      <label>
        Lens terminals through Warden{' '}
        <select
          aria-label="Lens terminals"
          value={pref.mode}
          onChange={(e) =>
            void store.setTerminals({ mode: e.target.value as typeof pref.mode, clusters: list(shown) })
          }
        >
          <option value="off">off</option>
          <option value="all">every cluster</option>
          <option value="listed">the clusters listed</option>
        </select>
      </label>{' '}
      {pref.mode === 'listed' ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void store.setTerminals({ mode: 'listed', clusters: list(shown) }).then(() => setNames(null));
          }}
        >
          <input
            type="text"
            aria-label="Governed clusters"
            value={shown}
            placeholder="cluster names, comma-separated"
            onChange={(e) => setNames(e.target.value)}
          />{' '}
          <button type="submit">Save</button>
        </form>
      ) : null}
      <ReadOnlyInput store={store} />
      {t && t.pref.mode !== 'off' ? (
        <p className="warden-muted" data-warden-terminals={t.sandboxId ? 'governed' : 'closed'}>
          {t.sandboxId
            ? `New terminals go through the Warden listener ${t.sandboxId}: what an agent started there does is governed and audited.`
            : `New terminals reach nothing until Warden is connected (${t.problem ?? 'no listener'}).`}
        </p>
      ) : null}
    </div>
  );
});

/**
 * Per cluster of the catalog: "read-only for agents". kubectl in its (governed) terminals
 * reads through Warden, and every write is denied; a credential Warden cannot hold is
 * refused here with the reason.
 */
const ReadOnlyInput = observer(function ReadOnlyInput({ store }: { store: WardenStore }) {
  const t = store.snapshot?.terminals;
  const pref = t?.pref ?? { mode: 'off' as const, clusters: [] };
  const chosen = pref.readOnly ?? [];
  const names = [...new Set([...(store.snapshot?.clusters ?? []).map((c) => c.name), ...chosen])];
  if (names.length === 0) return null;
  const toggle = (name: string, on: boolean) =>
    void store.setTerminals({
      ...pref,
      readOnly: on ? [...chosen.filter((c) => c !== name), name] : chosen.filter((c) => c !== name),
    });
  return (
    <fieldset className="warden-read-only" data-warden-read-only="">
      <legend>Kubernetes API read-only for agents</legend>
      {names.map((name) => {
        const state = t?.readOnly?.find((r) => r.cluster === name);
        return (
          <div key={name}>
            <label>
              <input
                type="checkbox"
                aria-label={`${name} read-only for agents`}
                checked={chosen.includes(name)}
                onChange={(e) => toggle(name, e.target.checked)}
              />{' '}
              {name}
            </label>{' '}
            {state ? (
              <span className="warden-muted" data-warden-read-only-state={state.state}>
                {state.state === 'ready'
                  ? 'kubectl in its terminals reads through Warden; writes, exec and port-forward are denied'
                  : state.state === 'refused'
                    ? `refused: ${state.problem ?? 'its credential cannot be held'}; every request to it is denied`
                    : 'waiting for the listener'}
              </span>
            ) : null}
          </div>
        );
      })}
    </fieldset>
  );
});

export function PreferencesHint() {
  return (
    <span>
      Where the Warden daemon keeps its socket and token (<code>warden.sock</code>, <code>token</code>); leave
      it empty to use <code>$WARDEN_HOME</code> or the default.
    </span>
  );
}
