// The preferences pane: the Warden state folder (where the daemon's socket and token are;
// empty for $WARDEN_HOME or the default) and native notifications for new approvals.

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
      {store.prefsError ? <ErrorLine error={store.prefsError} /> : null}
    </div>
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
