// A device's detail page: its facts and badges, "spot-check now" with each check's state
// (pending, answered, mismatch naming the first rewritten seq), its records (keyset pages)
// with the proof of any record to download, and its countersigned receipts.

import { observer } from 'mobx-react-lite';
import { useState } from 'react';
import type { HubReceiptView } from '../supervisor/api/hub-admin.ts';
import { span, when } from './format.ts';
import type { HubPageStore } from './store.ts';

const Receipt = ({ r }: { r: HubReceiptView }) => (
  <tr data-leaf={r.leafIndex}>
    <td>{r.leafIndex}</td>
    <td>{r.seq}</td>
    <td className="mono">{r.hash.slice(0, 16)}</td>
    <td>{when(r.received)}</td>
    <td>{r.treeSize ?? '—'}</td>
    <td className="mono">{r.checkpoint?.split('\n')[2]?.slice(0, 16) ?? '—'}</td>
  </tr>
);

const SpotCheck = observer(({ store }: { store: HubPageStore }) => {
  const [seqs, setSeqs] = useState('');
  const detail = store.device.detail;
  if (!detail) return null;
  return (
    <section className="spot-checks">
      <h3>Spot-checks</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void store.device.spotCheck(seqs);
        }}
      >
        <label>
          Seqs (empty: the head and a sample){' '}
          <input name="seqs" value={seqs} onChange={(e) => setSeqs(e.target.value)} />
        </label>
        <button type="submit" disabled={detail.device.revokedAt !== null}>
          Spot-check now
        </button>
      </form>
      <table>
        <thead>
          <tr>
            {['Asked', 'By', 'Seqs', 'State', 'Answered'].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {detail.spotChecks.map((c) => (
            <tr key={c.id} data-check={c.id}>
              <td>{when(c.requested)}</td>
              <td>{c.admin}</td>
              <td>{c.seqs.join(', ')}</td>
              <td>
                <span className={`badge check-${c.state}`}>
                  {c.state === 'mismatch' ? `mismatch at seq ${c.firstDivergent}` : c.state}
                </span>
              </td>
              <td>{when(c.resolved)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
});

const Records = observer(({ store }: { store: HubPageStore }) => {
  const d = store.device;
  return (
    <section className="timeline">
      <h3>Records</h3>
      <table>
        <thead>
          <tr>
            {['Time', 'Seq', 'Kind', 'User', 'Host', 'Outcome', ''].map((h) => (
              <th key={h}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {d.records.map((e) => (
            <tr key={e.seq} className="record-row" data-seq={e.seq}>
              <td>{when(e.time)}</td>
              <td>{e.seq}</td>
              <td>{e.kind}</td>
              <td>{e.user}</td>
              <td className="host">{e.host ?? '—'}</td>
              <td>{e.outcome ?? '—'}</td>
              <td>
                <button
                  type="button"
                  className="download-proof"
                  onClick={() => void d.downloadProof(d.id, e.seq)}
                >
                  Proof
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="paging">
        <button type="button" disabled={d.pages.length === 0} onClick={() => void d.newer()}>
          Newer
        </button>
        <button type="button" disabled={!d.next} onClick={() => void d.older()}>
          Older
        </button>
      </div>
    </section>
  );
});

export const DeviceDetail = observer(({ store }: { store: HubPageStore }) => {
  const detail = store.device.detail;
  if (!detail) return <p>Loading…</p>;
  const v = detail.device;
  const receipts = [...detail.receipts, ...store.device.olderReceipts];
  return (
    <section className="device-detail" data-device={v.id}>
      <button type="button" onClick={() => store.setTab('devices')}>
        ← Devices
      </button>
      <h2>
        {v.user} on {v.machine}
      </h2>
      <dl>
        <dt>Device</dt>
        <dd className="mono">{v.id}</dd>
        <dt>Key</dt>
        <dd className="mono">{v.fingerprint}</dd>
        <dt>OS, Warden</dt>
        <dd>
          {v.os}, {v.version}
        </dd>
        <dt>Held</dt>
        <dd>
          seq {detail.startSeq} to {v.headSeq ?? '—'}
        </dd>
        <dt>Last seen, lag, backlog</dt>
        <dd>
          {when(v.lastSeen)}, {span(v.lagMs)}, {v.backlog ?? '—'}
        </dd>
        <dt>Chain</dt>
        <dd>
          {v.badges.map((b) => (
            <span key={b} className={`badge ${b}`}>
              {b}
            </span>
          ))}
        </dd>
      </dl>
      <SpotCheck store={store} />
      <Records store={store} />
      <section className="receipts">
        <h3>Receipts</h3>
        <table>
          <thead>
            <tr>
              {['Leaf', 'Up to seq', 'Chain hash', 'Received', 'Tree size', 'Root'].map((h) => (
                <th key={h}>{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {receipts.map((r) => (
              <Receipt key={r.leafIndex} r={r} />
            ))}
          </tbody>
        </table>
        {store.device.nextReceipts !== null && (
          <button type="button" onClick={() => void store.device.moreReceipts()}>
            More receipts
          </button>
        )}
      </section>
    </section>
  );
});
