// What an approval card shows for a package version held by spec.packages: the package, the
// version, when it was published and why it was held. Such a hold is answered once: "always"
// belongs in the policy's spec.packages.npm allow or deny list, not in a network rule.

import React from 'react';
import type { PackageHoldView } from '../../supervisor/api/events.ts';
import { publishedText } from '../../supervisor/api/packages-format.ts';

/** The rows of the card's facts list for a held package version. */
export function PackageHoldFacts({ hold, prefix = '' }: { hold: PackageHoldView; prefix?: string }) {
  return (
    <>
      <dt>Package</dt>
      <dd className={`${prefix}package-name`}>
        {hold.name}@{hold.version}{' '}
        <span className={`${prefix}hint`}>
          ({hold.ecosystem}, {hold.registry})
        </span>
      </dd>
      <dt>Published</dt>
      <dd className={`${prefix}package-published`}>{publishedText(hold.publishedAt)}</dd>
      <dt>Held because</dt>
      <dd className={`${prefix}package-why`}>{hold.why}</dd>
    </>
  );
}
