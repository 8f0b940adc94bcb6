// What an approval card shows for a package version held by spec.packages: the package, the
// version, when it was published and why it was held. Such a hold is answered once: "always"
// belongs in the policy's spec.packages.npm allow or deny list, not in a network rule.

import React from 'react';
import type { PackageHoldView } from '../../../supervisor/api/events.ts';

/** The rows of the card's facts list for a held package version. */
export function PackageHoldFacts({ hold }: { hold: PackageHoldView }) {
  return (
    <>
      <dt>Package</dt>
      <dd className="warden-package-name">
        {hold.name}@{hold.version} ({hold.ecosystem}, {hold.registry})
      </dd>
      <dt>Published</dt>
      <dd className="warden-package-published">{hold.publishedAt ?? 'unknown'}</dd>
      <dt>Held because</dt>
      <dd className="warden-package-why">{hold.why}</dd>
    </>
  );
}
