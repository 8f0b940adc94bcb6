// Time arguments: ISO-8601 (`2026-11-03T10:00:00Z`, `2026-11-03`) or relative to now
// (`90s`, `30m`, `1h`, `7d`, `2w`), meaning that long ago.

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Epoch ms, or a RangeError naming the accepted forms. */
export function parseTimeArg(text: string, now: number): number {
  const trimmed = text.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(trimmed);
  if (relative) return now - Math.round(Number(relative[1]) * (UNITS[relative[2] as string] as number));
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms)) return ms;
  }
  throw new RangeError(
    `cannot read the time ${JSON.stringify(text)}: use ISO-8601 (2026-11-03T10:00:00Z) or a duration ago (30m, 1h, 7d)`,
  );
}

/** Milliseconds of a duration (`30m`, `7d`) for retention settings. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(text.trim());
  if (!match)
    throw new RangeError(`cannot read the duration ${JSON.stringify(text)}: use e.g. 90s, 30m, 1h, 7d, 2w`);
  return Math.round(Number(match[1]) * (UNITS[match[2] as string] as number));
}
