// The Exports view: each destination with its kind, lag (records not yet confirmed), last
// success and last error (what `warden hub export ls` prints).

import { observer } from 'mobx-react-lite';
import { when } from './format.ts';
import type { HubPageStore } from './store.ts';

export const Exports = observer(({ store }: { store: HubPageStore }) => (
  <section className="exports">
    {store.exports.length === 0 && <p>No export destinations (warden hub export add).</p>}
    <table>
      <thead>
        <tr>
          {['Name', 'Kind', 'Target', 'Lag', 'Exported', 'Last success', 'Last error'].map((h) => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {store.exports.map((x) => (
          <tr key={x.name} data-export={x.name}>
            <td>{x.name}</td>
            <td>{x.kind}</td>
            <td className="mono">{x.target}</td>
            <td className="lag">{x.lag}</td>
            <td>{x.exported}</td>
            <td>{when(x.lastSuccess)}</td>
            <td className="error-text">{x.lastError ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </section>
));
