// Text about a held package version that every client shows the same way.

/** "3 hours ago", "12 days ago" from an ISO time; '' when the time does not parse. */
export function publishedAgo(iso: string, now = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hours ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** The publish time as a card shows it: the time and how long ago, or "unknown". */
export function publishedText(iso: string | null | undefined, now = Date.now()): string {
  return iso ? `${iso} (${publishedAgo(iso, now)})` : 'unknown';
}
