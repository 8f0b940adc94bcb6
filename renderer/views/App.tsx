// The shell: navigation (keys 1–8), the connection state, the pending count, the views,
// and the list of shortcuts (?).

import { observer } from 'mobx-react-lite';
import { useEffect, useState } from 'react';
import type { RootStore } from '../stores/root.ts';
import { ActivityView } from './Activity.tsx';
import { ApprovalsView } from './Approvals.tsx';
import { AuditView } from './Audit.tsx';
import { FirstRunView } from './FirstRun.tsx';
import { PolicyView } from './Policy.tsx';
import { SandboxesView } from './Sandboxes.tsx';
import { SecretsView } from './Secrets.tsx';
import { SpendView } from './Spend.tsx';
import { StatusView } from './Status.tsx';
import { TasksStrip } from './Tasks.tsx';

export const VIEWS = [
  'activity',
  'approvals',
  'policy',
  'sandboxes',
  'secrets',
  'audit',
  'status',
  'spend',
] as const;
export type ViewName = (typeof VIEWS)[number];

const TITLES: Record<ViewName, string> = {
  activity: 'Activity',
  approvals: 'Approvals',
  policy: 'Policy',
  sandboxes: 'Sandboxes',
  secrets: 'Secrets',
  audit: 'Audit',
  status: 'Status',
  spend: 'Spend',
};

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
}

function initialView(): ViewName {
  const v = new URLSearchParams(location.hash.replace(/^#/, '')).get('view');
  return (VIEWS as readonly string[]).includes(v ?? '') ? (v as ViewName) : 'activity';
}

export const App = observer(function App({ root }: { root: RootStore }) {
  const [view, setView] = useState<ViewName>(initialView);
  const [help, setHelp] = useState(false);

  useEffect(() => {
    // Load a view's data when it is opened.
    if (view === 'policy') {
      void root.policy.load();
      void root.sandboxes.all.load();
    } else if (view === 'sandboxes') void root.sandboxes.load();
    else if (view === 'secrets') void root.secrets.list.load();
    else if (view === 'audit') {
      void root.audit.load(true);
      void root.audit.chain.load();
    } else if (view === 'status') void root.status.status.load();
    else if (view === 'approvals') void root.approvals.load();
    else if (view === 'spend') void root.spend.load();
  }, [view, root]);

  // The desktop asked for an approval's card (a notification was clicked): show the list.
  const focusRequest = root.approvals.focusRequest;
  useEffect(() => {
    if (focusRequest) setView('approvals');
  }, [focusRequest]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (document.querySelector('dialog[open]')) return;
      const n = Number(e.key);
      if (n >= 1 && n <= VIEWS.length) {
        setView(VIEWS[n - 1]!);
        e.preventDefault();
      } else if (e.key === '?') setHelp((h) => !h);
      else if (e.key === 'Escape') setHelp(false);
      else if (e.key === 'p' && view === 'activity')
        root.activity.paused ? root.activity.resume() : root.activity.pause();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [view, root]);

  const pending = root.approvals.items.size;
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Warden</span>
        <nav aria-label="Views">
          <ul>
            {VIEWS.map((v, i) => (
              <li key={v}>
                <button
                  type="button"
                  className="nav"
                  aria-current={view === v ? 'page' : undefined}
                  onClick={() => setView(v)}
                  title={`${TITLES[v]} (${i + 1})`}
                >
                  {TITLES[v]}
                  {v === 'approvals' && pending > 0 ? (
                    <span className="badge" title={`${pending} pending`}>
                      {pending}
                    </span>
                  ) : null}
                  {v === 'status' && root.status.syncFailing ? (
                    <span className="badge" title={`team hub sync: ${root.status.status.value?.sync?.state}`}>
                      !
                    </span>
                  ) : null}
                </button>
              </li>
            ))}
          </ul>
        </nav>
        <span className={`conn ${root.connection}`} role="status" title="Live events from the daemon">
          {root.connection === 'open'
            ? 'live'
            : root.connection === 'connecting'
              ? 'connecting…'
              : 'reconnecting…'}
        </span>
        <button
          type="button"
          className="help-button"
          onClick={() => setHelp(true)}
          aria-label="Keyboard shortcuts"
        >
          ?
        </button>
      </header>
      {root.connection !== 'open' && root.connectedOnce ? (
        <p className="banner" role="alert">
          Lost the connection to the Warden daemon; reconnecting. If it stopped, start it again with{' '}
          <code>warden ui</code>.
        </p>
      ) : null}
      <TasksStrip store={root.tasks} />
      <main id="main">
        {view === 'activity' ? (
          root.firstRunApplies ? (
            <FirstRunView store={root.firstRun} onDone={() => root.firstRun.dismiss()} />
          ) : (
            <ActivityView store={root.activity} />
          )
        ) : null}
        {view === 'approvals' ? (
          <ApprovalsView store={root.approvals} history={root.approvalHistory} replay={root.approvalReplay} />
        ) : null}
        {view === 'policy' ? (
          <PolicyView
            store={root.policy}
            sandboxes={root.sandboxes.all.value ?? []}
            replay={root.policyReplay}
          />
        ) : null}
        {view === 'sandboxes' ? <SandboxesView store={root.sandboxes} metrics={root.metrics} /> : null}
        {view === 'secrets' ? <SecretsView store={root.secrets} /> : null}
        {view === 'audit' ? <AuditView store={root.audit} tasks={root.auditTasks} /> : null}
        {view === 'status' ? <StatusView store={root.status} connection={root.connection} /> : null}
        {view === 'spend' ? <SpendView store={root.spend} /> : null}
      </main>
      {help ? (
        <div className="help" role="dialog" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <dl>
            {VIEWS.map((v, i) => (
              <div key={v}>
                <dt>
                  <kbd>{i + 1}</kbd>
                </dt>
                <dd>{TITLES[v]}</dd>
              </div>
            ))}
            <div>
              <dt>
                <kbd>a</kbd> <kbd>A</kbd> <kbd>d</kbd> <kbd>D</kbd>
              </dt>
              <dd>On a focused approval: allow once, always allow, deny once, always deny</dd>
            </div>
            <div>
              <dt>
                <kbd>p</kbd>
              </dt>
              <dd>Pause or resume the activity feed</dd>
            </div>
            <div>
              <dt>
                <kbd>Tab</kbd>
              </dt>
              <dd>Move between controls and cards</dd>
            </div>
            <div>
              <dt>
                <kbd>?</kbd> / <kbd>Esc</kbd>
              </dt>
              <dd>Show / hide this list</dd>
            </div>
          </dl>
          <button type="button" onClick={() => setHelp(false)}>
            Close
          </button>
        </div>
      ) : null}
    </div>
  );
});
