// Daemon health, the accelerator and why, versions.

import { observer } from 'mobx-react-lite';
import type { SyncStatus } from '../../supervisor/api/sync-types.ts';
import type { ConnectionState } from '../client/client.ts';
import type { StatusStore } from '../stores/lists.ts';
import { ErrorBox, Loading } from './common.tsx';

declare const __WARDEN_UI_VERSION__: string;
const UI_VERSION = typeof __WARDEN_UI_VERSION__ === 'string' ? __WARDEN_UI_VERSION__ : 'dev';

export const StatusView = observer(function StatusView({
  store,
  connection,
}: {
  store: StatusStore;
  connection: ConnectionState;
}) {
  const s = store.status.value;
  return (
    <section className="view status" aria-labelledby="status-title">
      <header className="view-head">
        <h1 id="status-title">Status</h1>
        <div className="toolbar">
          <button type="button" onClick={() => void store.status.load()}>
            Refresh
          </button>
        </div>
      </header>
      {store.status.error ? (
        <ErrorBox error={store.status.error} onRetry={() => void store.status.load()} />
      ) : null}
      {!s && store.status.loading ? <Loading what="the daemon's status" /> : null}
      {s ? (
        <div className="panels">
          <div className="panel">
            <h2>Daemon</h2>
            <dl className="facts">
              <dt>Health</dt>
              <dd>
                <span className={`outcome ${connection === 'open' ? 'allowed' : 'denied'}`}>
                  {connection === 'open' ? 'running, live events connected' : `events ${connection}`}
                </span>
              </dd>
              <dt>Version</dt>
              <dd>
                daemon {s.version} · UI {UI_VERSION}
              </dd>
              <dt>Process</dt>
              <dd>
                pid {s.pid}, since {new Date(s.startedAt).toLocaleString([], { hour12: false })}
              </dd>
              <dt>User</dt>
              <dd>{s.user}</dd>
              <dt>Home</dt>
              <dd>
                <code>{s.home}</code>
              </dd>
              <dt>Pending approvals</dt>
              <dd>{s.pendingApprovals}</dd>
              <dt>Sandboxes</dt>
              <dd>
                {s.sandboxes.length} ({s.sandboxes.filter((x) => x.kind === 'vm').length} VM,{' '}
                {s.sandboxes.filter((x) => x.kind === 'host').length} host)
              </dd>
              <dt>Secrets</dt>
              <dd>
                {s.secrets} (kept in the {s.vault})
              </dd>
              <dt>CA</dt>
              <dd>
                <code>{s.ca.certPath}</code>
                <div className="sub">sha256 {s.ca.fingerprint256}</div>
              </dd>
            </dl>
          </div>
          <div className="panel">
            <h2>Virtual machines</h2>
            {s.vm ? (
              <dl className="facts">
                <dt>Acceleration</dt>
                <dd>
                  {s.vm.accel ? (
                    <>
                      <strong>{s.vm.accel.accel.toUpperCase()}</strong>: {s.vm.accel.reason}
                    </>
                  ) : (
                    'not probed yet (it is when the first sandbox starts)'
                  )}
                </dd>
                <dt>Warm pool</dt>
                <dd>
                  {s.vm.pool.ready} ready, {s.vm.pool.booting} booting of {s.vm.pool.size}
                  {s.vm.pool.lastError ? <div className="hint">last error: {s.vm.pool.lastError}</div> : null}
                </dd>
                <dt>Sandboxes</dt>
                <dd>{s.vm.sandboxes}</dd>
                <dt>Images</dt>
                <dd>
                  {s.vm.images} in <code>{s.vm.imagesDir}</code>
                  {s.vm.images === 0 ? <div className="hint">build one with: warden image build</div> : null}
                </dd>
              </dl>
            ) : (
              <p>This daemon does not run VM sandboxes.</p>
            )}
          </div>
          {s.sync ? <SyncPanel sync={s.sync} /> : null}
        </div>
      ) : null}
    </section>
  );
});

const SYNC_OK = new Set(['ok', 'off']);

function SyncPanel({ sync }: { sync: SyncStatus }) {
  const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString([], { hour12: false }) : 'never');
  return (
    <section className="panel" aria-labelledby="sync-title">
      <h2 id="sync-title">Team hub</h2>
      {sync.state === 'off' ? (
        <p>
          Not enrolled: nothing leaves this machine. Enroll with <code>warden sync enroll STRING</code>.
        </p>
      ) : (
        <dl className="facts">
          <dt>State</dt>
          <dd>
            <span
              className={`outcome ${SYNC_OK.has(sync.state) ? 'allowed' : 'denied'}`}
              data-sync-state={sync.state}
            >
              {sync.state}
            </span>
            {sync.lastError && !SYNC_OK.has(sync.state) ? <div className="hint">{sync.lastError}</div> : null}
          </dd>
          <dt>Hub</dt>
          <dd>
            <code>{sync.hub}</code>
            <div className="sub">device {sync.deviceId}</div>
          </dd>
          <dt>Position</dt>
          <dd>
            acknowledged seq {sync.acknowledgedSeq ?? '-'} of {sync.headSeq ?? '-'} · backlog {sync.backlog} ·
            lag {(sync.lagMs / 1000).toFixed(1)} s
          </dd>
          <dt>Receipts</dt>
          <dd>
            {sync.receipts} (hub log of {sync.treeSize})
          </dd>
          <dt>Last success</dt>
          <dd>{when(sync.lastSuccess)}</dd>
          {sync.nextAttempt ? (
            <>
              <dt>Next attempt</dt>
              <dd>{when(sync.nextAttempt)}</dd>
            </>
          ) : null}
        </dl>
      )}
    </section>
  );
}
