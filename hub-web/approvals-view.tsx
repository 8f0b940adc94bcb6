// IT's Approvals inbox: each request an organisation rule sends to IT, with the card the
// developer sees (request line, sandbox, user, device, MCP call with masked arguments, package
// version with its publish time, why it asks, when it expires; the MCP and package facts are
// ui/cards', as in the desktop and Lens cards); allow once or deny. Answered and withdrawn
// cards stay below.

import { observer } from 'mobx-react-lite';
import type { HubItApprovalView } from '../supervisor/api/hub-approvals.ts';
import { McpCallFacts } from '../ui/cards/McpCallFacts.tsx';
import { PackageHoldFacts } from '../ui/cards/PackageHoldFacts.tsx';
import { when } from './format.ts';
import type { HubPageStore } from './store.ts';

const Card = observer(({ a, store }: { a: HubItApprovalView; store: HubPageStore }) => (
  <article className={`approval ${a.state}`} data-approval={a.id}>
    <h3 className="mono">
      {a.mcp
        ? `${a.mcp.method} ${a.mcp.name}`
        : a.package
          ? `npm package ${a.package.name}@${a.package.version}`
          : `${a.method} ${a.scheme}://${a.host}:${a.port}${a.path}`}
      {a.query !== undefined && !a.mcp && !a.package && `?${a.query}`}
    </h3>
    <dl>
      <dt>Sandbox</dt>
      <dd className="mono">{a.sandboxId}</dd>
      <dt>User</dt>
      <dd>{a.user}</dd>
      <dt>Device</dt>
      <dd>
        {a.deviceName ?? ''} <span className="mono">{a.device.slice(0, 8)}</span>
      </dd>
      {a.mcp && (
        <>
          <McpCallFacts call={a.mcp} />
          <dt>Endpoint</dt>
          <dd className="mono">
            {a.method} {a.host}
            {a.path}
          </dd>
        </>
      )}
      {a.package && (
        <>
          <PackageHoldFacts hold={a.package} />
          <dt>Request</dt>
          <dd className="mono">
            {a.method} {a.path}
          </dd>
        </>
      )}
      <dt>Why</dt>
      <dd>{a.reason}</dd>
      <dt>Expires</dt>
      <dd>{a.expiresAt}</dd>
    </dl>
    {a.state === 'pending' ? (
      <div className="actions">
        <button type="button" onClick={() => void store.answerApproval(a.id, 'allow')}>
          Allow once
        </button>
        <button type="button" onClick={() => void store.answerApproval(a.id, 'deny')}>
          Deny
        </button>
      </div>
    ) : (
      <p className="answered">
        {a.answer
          ? `${a.answer.decision === 'allow' ? 'Allowed' : 'Denied'} by ${a.answer.by} at ${when(a.answer.at)}${a.answer.delivered ? '' : ' (not yet delivered)'}`
          : 'Withdrawn by the device (expired or its sandbox went away)'}
      </p>
    )}
  </article>
));

export const Approvals = observer(({ store }: { store: HubPageStore }) => {
  const pending = store.approvals.filter((a) => a.state === 'pending');
  const closed = store.approvals.filter((a) => a.state !== 'pending');
  return (
    <section className="approvals">
      <h2>Waiting for IT ({pending.length})</h2>
      {pending.length === 0 && <p>Nothing waits for IT.</p>}
      {pending.map((a) => (
        <Card key={a.id} a={a} store={store} />
      ))}
      <h2>Answered</h2>
      {closed.map((a) => (
        <Card key={a.id} a={a} store={store} />
      ))}
    </section>
  );
});
