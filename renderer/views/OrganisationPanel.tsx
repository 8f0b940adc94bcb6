// What the organisation's policy fixed on this device: where it came from (the team hub or a
// managed file, its hash, who signed it), the settings lower layers may only narrow, and each
// part of a lower layer it overrides (ignored), with why.

import type { OrganisationView } from '../../supervisor/api/index.ts';

export function OrganisationPanel({ org }: { org: OrganisationView }) {
  const from = org.origin?.kind === 'hub' ? 'Pushed by the team hub' : 'Managed file';
  return (
    <section className="organisation" aria-labelledby="organisation-heading">
      <h2 id="organisation-heading">Fixed by your organisation</h2>
      <p className="sub">
        {from}: <code>{org.source}</code>
        {org.origin ? (
          <>
            {' '}
            ({org.origin.group ? `group ${org.origin.group}, ` : ''}
            <code title={org.origin.hash}>{org.origin.hash.slice(0, 19)}…</code>, signed by{' '}
            {org.origin.signedBy})
          </>
        ) : null}
        . Its denials always win ({org.rules} rules), and local layers may only narrow it.
      </p>
      <ul className="fixed">
        {org.defaultAction ? (
          <li>
            Default at most <code>{org.defaultAction}</code>
          </li>
        ) : null}
        {org.approvalTimeoutSeconds !== undefined ? (
          <li>Approvals time out within {org.approvalTimeoutSeconds} s</li>
        ) : null}
        {(org.settings ?? []).map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ul>
      {org.ignored.length > 0 ? (
        <>
          <h3>Ignored local settings</h3>
          <ul className="errors ignored">
            {org.ignored.map((c) => (
              <li key={`${c.layer}-${c.source}-${c.path}`}>
                <code>
                  {c.layer} {c.path}
                </code>
                : {c.message} <span className="source">({c.organisationRule})</span>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
