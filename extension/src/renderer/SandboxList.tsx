// The sandboxes: every VM and host process the daemon governs, with its state and Stop
// (which stops and removes it: DELETE /v1/sandboxes/:id, as the desktop app does).

import { observer } from 'mobx-react';
import React from 'react';
import { ErrorLine } from './ErrorLine.tsx';
import type { WardenStore } from './store.ts';

export const SandboxList = observer(function SandboxList({ store }: { store: WardenStore }) {
  const rows = store.sandboxes;
  return (
    <section className="warden-section" aria-labelledby="warden-sandboxes-title">
      <h2 id="warden-sandboxes-title">Sandboxes</h2>
      {rows.length === 0 ? (
        <p className="warden-muted">
          No sandbox: start an agent with <code>warden run</code>, or a governed process with{' '}
          <code>warden proxy</code>.
        </p>
      ) : (
        <table className="warden-table">
          <thead>
            <tr>
              <th>Sandbox</th>
              <th>State</th>
              <th>What</th>
              <th>Of</th>
              <th title="Prompts a human saw from it in the last hour">Prompts/h</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => {
              const key = `sandbox:${s.sandboxId}`;
              const error = store.errors.get(key);
              return (
                <tr key={s.sandboxId} data-sandbox={s.sandboxId}>
                  <td>
                    <strong>{s.sandboxId}</strong>
                    {s.label && s.label !== s.sandboxId ? (
                      <div className="warden-muted">{s.label}</div>
                    ) : null}
                  </td>
                  <td>
                    <span className={`warden-pill state-${s.state.toLowerCase()}`}>{s.state}</span>
                    {s.reason ? <div className="warden-muted">{s.reason}</div> : null}
                  </td>
                  <td>{s.detail}</td>
                  <td>{s.user}</td>
                  <td className="warden-prompts">{s.promptsLastHour ?? '–'}</td>
                  <td>
                    <button
                      type="button"
                      className="deny"
                      disabled={store.busy.has(key) || s.state === 'STOPPING'}
                      onClick={() => void store.stopSandbox(s.sandboxId)}
                      aria-label={`Stop ${s.sandboxId}`}
                    >
                      Stop
                    </button>
                    {error ? <ErrorLine error={error} /> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
});
