// The first run: no sandbox and no traffic yet. Leads through starting one VM sandbox in a
// workspace with a policy preset, shows the policy before it starts and the progress while
// it boots, instead of an empty table.

import { observer } from 'mobx-react-lite';
import { useEffect } from 'react';
import type { FirstRunStore } from '../stores/first-run.ts';
import { useNow } from './charts/RateChart.tsx';
import { ErrorBox, Loading } from './common.tsx';

const STEP_TEXT: Record<string, string> = {
  AGENT:
    "Installing the preset's agent in a sandbox, through the proxy (minutes the first time: progress and Cancel at the top)",
  IMAGE: 'Building the VM image (minutes the first time: progress and Cancel at the top)',
  REQUESTED: 'Sandbox requested: preparing its proxy listener and policy',
  STARTING: 'Booting the VM (a cold boot takes a few seconds)',
  RUNNING: 'Running: the agent can work, every request goes through the policy',
  STOPPING: 'Stopping',
  STOPPED: 'Stopped',
  ERROR: 'Failed',
};

function Progress({ store }: { store: FirstRunStore }) {
  const now = useNow(250);
  const start = store.steps[0]?.at ?? now;
  const done = store.phase === 'running' || store.phase === 'failed';
  return (
    <ol className="first-run-steps" aria-label="Progress">
      {store.steps.map((s, i) => {
        const current = i === store.steps.length - 1 && !done;
        const ended = store.steps[i + 1]?.at ?? (done ? s.at : now);
        return (
          <li key={s.state} data-state={s.state} className={current ? 'current' : 'done'}>
            <span className="step-mark" aria-hidden="true">
              {current ? '…' : s.state === 'ERROR' ? '✗' : '✓'}
            </span>
            {STEP_TEXT[s.state] ?? s.state}
            {s.reason ? `: ${s.reason}` : ''}{' '}
            <small>
              {((s.at - start) / 1000).toFixed(1)} s
              {current ? ` (${((ended - s.at) / 1000).toFixed(1)} s so far)` : ''}
            </small>
          </li>
        );
      })}
    </ol>
  );
}

export const FirstRunView = observer(function FirstRunView({
  store,
  onDone,
}: {
  store: FirstRunStore;
  onDone: () => void;
}) {
  useEffect(() => {
    void store.load();
  }, [store]);
  const presets = store.presets.value;
  const images = store.images.value;
  const base = store.basePolicy.value?.resolved;
  const preset = store.preset;
  const choosing = store.phase === 'choose' || store.phase === 'failed';
  return (
    <section className="view first-run" aria-labelledby="first-run-title">
      <header className="view-head">
        <h1 id="first-run-title">Start your first sandbox</h1>
        <button type="button" className="link" onClick={onDone}>
          Skip: show the activity
        </button>
      </header>
      <p className="lead">
        No sandbox is running and nothing has gone through Warden yet. A sandbox is a microVM whose only way
        out is Warden's proxy: pick the policy preset for your agent and the folder it works in.
      </p>
      {store.presets.error ? (
        <ErrorBox error={store.presets.error} onRetry={() => void store.load()} />
      ) : null}
      {!presets && store.presets.loading ? <Loading what="the presets" /> : null}
      <form
        className="first-run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void store.start();
        }}
      >
        <fieldset disabled={!choosing}>
          <legend>1. Policy preset</legend>
          <div className="preset-choices">
            {(presets ?? []).map((p) => (
              <label
                key={p.name}
                className={`preset-choice${store.choice.preset === p.name ? ' chosen' : ''}`}
              >
                <input
                  type="radio"
                  name="preset"
                  value={p.name}
                  checked={store.choice.preset === p.name}
                  onChange={() => store.choose({ preset: p.name })}
                />
                <strong>{p.name}</strong>
                {p.description ? <span>{p.description}</span> : null}
                {p.needs?.agent ? (
                  <small className="preset-agent">Runs {p.needs.agent}, installed on first use</small>
                ) : null}
              </label>
            ))}
          </div>
        </fieldset>
        <fieldset disabled={!choosing}>
          <legend>2. Workspace and image</legend>
          <label>
            Workspace folder (shared with the VM){' '}
            <input
              name="workspace"
              value={store.choice.workspace}
              placeholder="/home/you/project"
              onChange={(e) => store.choose({ workspace: e.target.value })}
            />
          </label>
          <label>
            Image{' '}
            <select
              name="image"
              value={store.choice.image}
              onChange={(e) => store.choose({ image: e.target.value })}
            >
              <option value="">newest</option>
              {(images ?? []).map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name} ({i.id.slice(0, 12)})
                </option>
              ))}
            </select>
          </label>
          {images && images.length === 0 ? (
            <p className="hint">
              No VM image yet: Start builds one first (a few minutes; its progress shows at the top, with a
              Cancel). Or build it yourself with <code>warden image build</code>.
            </p>
          ) : null}
        </fieldset>
        {preset ? (
          <fieldset className="policy-preview">
            <legend>3. The policy it will apply</legend>
            <p>
              The <strong>{preset.name}</strong> preset over your base policy
              {base
                ? ` (${base.rules.filter((r) => r.layer === 'base').length} base rules; anything no rule names: ${base.defaultAction}${base.defaultAction === 'ask' ? `, for ${base.approvalTimeoutSeconds} s` : ''})`
                : ''}
              . Requests it does not allow wait for you in Approvals.
            </p>
            <pre className="preset-yaml">{preset.yaml}</pre>
          </fieldset>
        ) : null}
        {choosing ? (
          <div className="first-run-actions">
            <button type="submit" className="primary" disabled={store.missing.length > 0}>
              Start the sandbox
            </button>
            {store.missing.length > 0 ? (
              <span className="hint">Still needed: {store.missing.join(', ')}.</span>
            ) : null}
          </div>
        ) : null}
      </form>
      {store.steps.length > 0 ? <Progress store={store} /> : null}
      {store.error ? <ErrorBox error={store.error} /> : null}
      {store.phase === 'running' && store.sandbox ? (
        <div className="notice first-run-done" role="status">
          Sandbox <strong>{store.sandbox.sandboxId}</strong> is running. Open a shell in it from Sandboxes;
          its requests appear in Activity as they are decided.{' '}
          <button type="button" className="primary" onClick={onDone}>
            Show the activity
          </button>
        </div>
      ) : null}
    </section>
  );
});
