// What an approval card shows for a package version held by spec.packages: the package, the
// version, when it was published and why it was held. Such a hold is answered once: "always"
// belongs in the policy's spec.packages.npm allow or deny list, not in a network rule.

import type { PackageHoldView } from '../../supervisor/api/events.ts';

/** "3 hours ago", "12 days ago" from an ISO time. */
export function publishedAgo(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** The rows of the card's facts list for a held package version. */
export function PackageHoldFacts({ hold }: { hold: PackageHoldView }) {
  return (
    <>
      <dt>Package</dt>
      <dd className="package-name">
        {hold.name}@{hold.version}{' '}
        <span className="hint">
          ({hold.ecosystem}, {hold.registry})
        </span>
      </dd>
      <dt>Published</dt>
      <dd className="package-published">
        {hold.publishedAt ? `${hold.publishedAt} (${publishedAgo(hold.publishedAt)})` : 'unknown'}
      </dd>
      <dt>Held because</dt>
      <dd className="package-why">{hold.why}</dd>
    </>
  );
}
