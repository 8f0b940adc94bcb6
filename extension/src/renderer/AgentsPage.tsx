// The global page "Agents": the approvals waiting for an answer (every agent on this
// machine, whatever launched it), the daemon's long work, the live activity and the sandboxes; or, when the daemon
// cannot be reached, what is wrong and what to do.

import { observer } from 'mobx-react';
import React from 'react';
import { ActivityList } from './ActivityList.tsx';
import { ApprovalCard, ConfirmAlways } from './ApprovalCard.tsx';
import { ConnectionState } from './ConnectionState.tsx';
import { SandboxList } from './SandboxList.tsx';
import { Shield } from './StatusBarItem.tsx';
import type { WardenStore } from './store.ts';
import { TaskList } from './TaskList.tsx';

export const AgentsPage = observer(function AgentsPage({ store }: { store: WardenStore }) {
  const view = store.snapshot?.connection;
  const approvals = store.approvals;
  return (
    <div className="warden-page" data-warden-page="">
      <header className="warden-head">
        <h1>
          <Shield size={20} /> Agents
        </h1>
        <span className="warden-muted">
          {view?.kind === 'connected'
            ? `Warden daemon ${view.daemonVersion} · ${view.where}`
            : `Warden extension ${store.snapshot?.extensionVersion ?? ''}`}
        </span>
      </header>
      <ConnectionState store={store} />
      {view?.kind === 'connected' ? (
        <>
          <section className="warden-section" aria-labelledby="warden-approvals-title">
            <h2 id="warden-approvals-title">
              Approvals <span className="warden-badge">{approvals.length}</span>
            </h2>
            <p className="warden-muted">
              On a focused card: <kbd>a</kbd> allow once, <kbd>A</kbd> always allow, <kbd>d</kbd> deny once,{' '}
              <kbd>D</kbd> always deny.
            </p>
            <ConfirmAlways store={store} />
            {approvals.length === 0 ? (
              <p className="warden-empty">
                Nothing is waiting for you. When an agent makes a request its policy says to ask about, it is
                held here until you answer or it times out (a timeout denies it).
              </p>
            ) : (
              <ul className="warden-cards">
                {approvals.map((a, i) => (
                  <ApprovalCard key={a.id} approval={a} store={store} first={i === 0 && !store.confirming} />
                ))}
              </ul>
            )}
          </section>
          <TaskList store={store} />
          <SandboxList store={store} />
          <ActivityList store={store} />
        </>
      ) : null}
    </div>
  );
});
