// Sandboxes of both kinds, from one list: microVMs (state, accelerator, resources, policy;
// a terminal; stop; start one from a preset) and host processes behind a governed proxy
// listener (warden proxy).

import { observer } from 'mobx-react-lite';
import { lazy, Suspense, useEffect, useState } from 'react';
import type { BridgeError } from '../client/client.ts';
import type { SandboxesStore } from '../stores/lists.ts';
import type { SandboxMetricsStore } from '../stores/sandbox-metrics.ts';
import { Sparkline } from './charts/Sparkline.tsx';
import { Empty, ErrorBox, formatBytes, formatTime, Loading } from './common.tsx';
import { Elapsed } from './Elapsed.tsx';

// xterm.js is half the renderer's code: it loads when a terminal is first opened.
const TerminalPanel = lazy(() => import('./Terminal.tsx').then((m) => ({ default: m.TerminalPanel })));

const PRESETS = {
  small: { cpus: 1, memoryMiB: 1024, label: 'Small: 1 CPU, 1 GiB' },
  medium: { cpus: 2, memoryMiB: 2048, label: 'Medium: 2 CPUs, 2 GiB' },
  large: { cpus: 4, memoryMiB: 4096, label: 'Large: 4 CPUs, 4 GiB' },
} as const;

/** A sandbox's load over the last minutes: CPU and memory of its VM (if it has one) and its network. */
const Load = observer(function Load({
  metrics,
  sandboxId,
}: {
  metrics: SandboxMetricsStore;
  sandboxId: string;
}) {
  const s = metrics.series(sandboxId);
  if (!s || s.t.length === 0) return <span className="sub">sampling…</span>;
  const last = <T,>(xs: T[]) => xs[xs.length - 1];
  const cpu = last(s.cpuPct);
  const rss = last(s.rssMiB);
  const guest = last(s.guestMiB);
  const latest = metrics.latest(sandboxId);
  const up = last(s.upBps) ?? 0;
  const down = last(s.downBps) ?? 0;
  return (
    <div className="load" data-sandbox={sandboxId}>
      {cpu !== null && cpu !== undefined ? (
        <Sparkline
          label="CPU"
          t={s.t}
          series={[{ label: 'cpu', color: '#2456c9', values: s.cpuPct }]}
          text={`CPU ${cpu.toFixed(0)}%`}
        />
      ) : null}
      {rss !== null && rss !== undefined ? (
        <Sparkline
          label="Memory"
          t={s.t}
          min={null}
          series={[
            { label: 'rss', color: '#6b3fb4', values: s.rssMiB },
            ...(guest !== null && guest !== undefined
              ? [{ label: 'guest', color: '#c2410c', values: s.guestMiB }]
              : []),
          ]}
          text={
            guest !== null && guest !== undefined && latest?.guestMemoryTotalBytes
              ? `${rss.toFixed(0)} MiB (guest uses ${guest.toFixed(0)} of ${(latest.guestMemoryTotalBytes / 2 ** 20).toFixed(0)})`
              : `${rss.toFixed(0)} MiB`
          }
        />
      ) : null}
      <Sparkline
        label="Network"
        t={s.t}
        series={[
          { label: 'down', color: '#1f7a3f', values: s.downBps },
          { label: 'up', color: '#9a5b00', values: s.upBps },
        ]}
        text={`↓${formatBytes(down)}/s ↑${formatBytes(up)}/s`}
      />
    </div>
  );
});

export const SandboxesView = observer(function SandboxesView({
  store,
  metrics,
}: {
  store: SandboxesStore;
  metrics: SandboxMetricsStore;
}) {
  const [actionError, setActionError] = useState<BridgeError | null>(null);
  // Sample the sandboxes' load while this view is open.
  useEffect(() => metrics.poll(2000), [metrics]);
  const [terminal, setTerminal] = useState<string | null>(null);
  const vms = store.vms;
  const hosts = store.hosts;
  return (
    <section className="view sandboxes" aria-labelledby="sandboxes-title">
      <header className="view-head">
        <h1 id="sandboxes-title">Sandboxes</h1>
        <div className="toolbar">
          <button type="button" onClick={() => void store.load()}>
            Refresh
          </button>
        </div>
      </header>
      {actionError ? <ErrorBox error={actionError} /> : null}
      <h2>Virtual machines</h2>
      {store.all.error ? <ErrorBox error={store.all.error} onRetry={() => void store.all.load()} /> : null}
      {!vms && store.all.loading ? <Loading what="sandboxes" /> : null}
      {vms && vms.length === 0 ? (
        <Empty title="No VM sandbox is running.">
          Start one below, or from a terminal with <code>warden run -- CMD</code>.
        </Empty>
      ) : null}
      {vms && vms.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th>Sandbox</th>
              <th>State</th>
              <th>Acceleration</th>
              <th>Resources</th>
              <th>Load (last minutes)</th>
              <th>Workspace</th>
              <th>Policy</th>
              <th>Started</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {vms.map((s) => (
              <tr key={s.sandboxId}>
                <td>
                  <strong>{s.sandboxId}</strong>
                  <div className="sub">{s.image.name}</div>
                  {s.agents.map((a) => (
                    <div key={a.name} className="sub agent-pin" title={`${a.package} ${a.integrity}`}>
                      {a.name} {a.version}
                    </div>
                  ))}
                </td>
                <td>
                  <span className={`state-pill ${s.state.toLowerCase()}`}>{s.state}</span>
                  {s.reason ? <div className="sub">{s.reason}</div> : null}
                </td>
                <td title={s.accel?.reason ?? ''}>{s.accel ? s.accel.accel.toUpperCase() : '—'}</td>
                <td>
                  {s.cpus} CPU · {s.memoryMiB} MiB
                  <div className="sub">
                    {s.diskMiB > 0 ? `disk ${formatMiB(s.diskMiB)}` : 'no disk (RAM layer)'}
                  </div>
                </td>
                <td>
                  <Load metrics={metrics} sandboxId={s.sandboxId} />
                </td>
                <td>
                  {s.workspace ? `${s.workspace.hostPath}${s.workspace.readOnly ? ' (read-only)' : ''}` : '—'}
                </td>
                <td>{s.policySource ?? 'base only'}</td>
                <td>{formatTime(s.createdAt)}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    disabled={s.state !== 'RUNNING'}
                    aria-pressed={terminal === s.sandboxId}
                    onClick={() => setTerminal(s.sandboxId)}
                    title="Open an interactive shell in this sandbox"
                  >
                    Terminal
                  </button>
                  <button
                    type="button"
                    className="deny"
                    disabled={s.state === 'STOPPING' || s.state === 'STOPPED'}
                    onClick={async () => {
                      const r = await store.stop(s.sandboxId);
                      setActionError(r.ok ? null : r.error);
                    }}
                  >
                    Stop
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {terminal ? (
        <Suspense fallback={<Loading what="the terminal" />}>
          <TerminalPanel
            key={terminal}
            sandboxId={terminal}
            open={store.openTerminal}
            onClose={() => setTerminal(null)}
          />
        </Suspense>
      ) : null}
      <StartForm store={store} onError={setActionError} />
      <h2>Host processes</h2>
      <p className="sub">
        Processes on this machine governed through a proxy port (warden proxy): not isolated.
      </p>
      {hosts && hosts.length === 0 ? <Empty title="No host process behind a proxy." /> : null}
      {hosts && hosts.length > 0 ? (
        <table className="list">
          <thead>
            <tr>
              <th>Sandbox</th>
              <th>Proxy</th>
              <th>User</th>
              <th>Policy</th>
              <th>Secrets</th>
              <th>Network (last minutes)</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {hosts.map((l) => (
              <tr key={l.sandboxId}>
                <td>
                  <strong>{l.sandboxId}</strong>
                </td>
                <td>
                  <code>{l.proxyUrl}</code>
                </td>
                <td>{l.user}</td>
                <td>{l.policySource ?? 'base only'}</td>
                <td>{Object.keys(l.placeholders).join(', ') || '—'}</td>
                <td>
                  <Load metrics={metrics} sandboxId={l.sandboxId} />
                </td>
                <td>
                  <button
                    type="button"
                    className="deny"
                    onClick={async () => {
                      const r = await store.stop(l.sandboxId);
                      setActionError(r.ok ? null : r.error);
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
    </section>
  );
});

const StartForm = observer(function StartForm({
  store,
  onError,
}: {
  store: SandboxesStore;
  onError: (e: BridgeError | null) => void;
}) {
  const [preset, setPreset] = useState<keyof typeof PRESETS>('small');
  const [label, setLabel] = useState('agent');
  const [workspace, setWorkspace] = useState('');
  const [readOnly, setReadOnly] = useState(false);
  const [image, setImage] = useState('');
  const [busy, setBusy] = useState(false);
  const images = store.images.value ?? [];
  return (
    <form
      className="form start"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        const p = PRESETS[preset];
        const r = await store.create({
          label,
          cpus: p.cpus,
          memoryMiB: p.memoryMiB,
          ...(image ? { image } : {}),
          ...(workspace.trim() ? { workspace: { path: workspace.trim(), readOnly } } : {}),
        });
        setBusy(false);
        onError(r.ok ? null : r.error);
      }}
    >
      <h2>Start a sandbox</h2>
      {images.length === 0 && store.images.value ? (
        <p className="hint">
          No guest image is built yet: build one with <code>warden image build</code>.
        </p>
      ) : null}
      <div className="fields">
        <label>
          Preset
          <select value={preset} onChange={(e) => setPreset(e.target.value as keyof typeof PRESETS)}>
            {Object.entries(PRESETS).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Image
          <select value={image} onChange={(e) => setImage(e.target.value)}>
            <option value="">the default</option>
            {images.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name} ({i.kernelVersion})
              </option>
            ))}
          </select>
        </label>
        <label>
          Label
          <input value={label} onChange={(e) => setLabel(e.target.value)} maxLength={40} required />
        </label>
        <label className="wide">
          Workspace folder (absolute path on this machine)
          <input
            value={workspace}
            onChange={(e) => setWorkspace(e.target.value)}
            placeholder="/home/me/project"
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} />{' '}
          read-only
        </label>
      </div>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Starting…' : 'Start'}
      </button>
      {busy ? <Elapsed what="Booting the VM (a cold boot takes a few seconds)" /> : null}
    </form>
  );
});

/** 8192 → "8 GiB", 1536 → "1.5 GiB", 512 → "512 MiB". */
function formatMiB(mib: number): string {
  return mib >= 1024 ? `${Number((mib / 1024).toFixed(1))} GiB` : `${mib} MiB`;
}
