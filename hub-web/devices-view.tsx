// The Devices view: each device with its chain badges, lag, backlog and key; open its detail,
// revoke it or rotate its key.

import { observer } from 'mobx-react-lite';
import type { HubDeviceView } from '../supervisor/api/hub-admin.ts';
import { span, when } from './format.ts';
import type { HubPageStore } from './store.ts';

const DeviceRow = ({ d, store }: { d: HubDeviceView; store: HubPageStore }) => (
  <tr data-device={d.id}>
    <td>
      <button type="button" className="link open-device" onClick={() => void store.openDevice(d.id)}>
        {d.user}
      </button>
    </td>
    <td>{d.machine}</td>
    <td>{d.os}</td>
    <td>{d.version}</td>
    <td>{when(d.lastSeen)}</td>
    <td>{span(d.lagMs)}</td>
    <td>{d.backlog ?? '—'}</td>
    <td>
      {d.badges.map((b) => (
        <span key={b} className={`badge ${b}`}>
          {b}
        </span>
      ))}
    </td>
    <td className="mono">{d.fingerprint}</td>
    <td>
      {d.revokedAt === null && (
        <>
          <button type="button" onClick={() => void store.revoke(d.id)}>
            Revoke
          </button>{' '}
          {d.rotating ? (
            <span className="badge rotating">rotating key</span>
          ) : (
            <button type="button" onClick={() => void store.rotate(d.id)}>
              Rotate key
            </button>
          )}
        </>
      )}
    </td>
    <td className={`policy ${d.policy?.state ?? 'none'}`} title={d.policy?.reported ?? ''}>
      {d.policy ? `${d.policy.state}${d.policy.group ? ` (${d.policy.group})` : ''}` : '—'}
    </td>
  </tr>
);

export const Devices = observer(({ store }: { store: HubPageStore }) => (
  <table className="devices">
    <thead>
      <tr>
        {[
          'User',
          'Machine',
          'OS',
          'Version',
          'Last seen',
          'Lag',
          'Backlog',
          'Chain',
          'Key',
          '',
          'Policy',
        ].map((h) => (
          <th key={h}>{h}</th>
        ))}
      </tr>
    </thead>
    <tbody>
      {store.devices.map((d) => (
        <DeviceRow key={d.id} d={d} store={store} />
      ))}
    </tbody>
  </table>
));
