// What the page says when it is not connected: the daemon is not running (and the command
// that starts it), the token was refused, the versions do not match, or another failure;
// each with when the next attempt is and a button to try now.

import { observer } from 'mobx-react';
import React from 'react';
import type { ConnectionView } from '../common/ipc.ts';
import type { WardenStore } from './store.ts';

function Retry({ store, view }: { store: WardenStore; view: ConnectionView }) {
  const ms = 'retryInMs' in view ? view.retryInMs : 0;
  return (
    <p className="warden-retry">
      {ms > 0 ? `Trying again in ${Math.ceil(ms / 1000)} s. ` : null}
      <button type="button" onClick={() => void store.retry()}>
        Try now
      </button>
    </p>
  );
}

export const ConnectionState = observer(function ConnectionState({ store }: { store: WardenStore }) {
  const view = store.snapshot?.connection;
  if (!view) return <p className="warden-loading">Asking the extension's main side…</p>;
  switch (view.kind) {
    case 'connected':
      return null;
    case 'connecting':
      return (
        <div className="warden-state" data-warden-state="connecting">
          <p>Connecting to the Warden daemon at {view.where}…</p>
        </div>
      );
    case 'stopped':
      return (
        <div className="warden-state" data-warden-state="stopped">
          <p>The Warden extension is stopped.</p>
        </div>
      );
    case 'daemon-absent':
      return (
        <div className="warden-state" data-warden-state="daemon-absent" role="status">
          <h2>The Warden daemon is not running</h2>
          <p>{view.message}.</p>
          <p>
            Start it in a terminal with <code className="warden-command">{view.command}</code> (or open the
            Warden desktop app); this page connects by itself.
          </p>
          <Retry store={store} view={view} />
        </div>
      );
    case 'token-refused':
      return (
        <div className="warden-state" data-warden-state="token-refused" role="status">
          <h2>The Warden daemon refused this extension's token</h2>
          <p>{view.message}.</p>
          <p>{view.hint}.</p>
          <Retry store={store} view={view} />
        </div>
      );
    case 'version-mismatch':
      return (
        <div className="warden-state" data-warden-state="version-mismatch" role="status">
          <h2>The Warden daemon is {view.newer === 'daemon' ? 'newer' : 'older'} than this extension</h2>
          <p>
            Daemon {view.daemonVersion}, extension {view.extensionVersion}: {view.message}.
          </p>
          <p>{view.hint}.</p>
          <Retry store={store} view={view} />
        </div>
      );
    case 'error':
      return (
        <div className="warden-state" data-warden-state="error" role="status">
          <h2>The Warden daemon failed</h2>
          <p>{view.message}</p>
          <Retry store={store} view={view} />
        </div>
      );
  }
});
