// Time arguments: ISO-8601 (`2026-11-03T10:00:00Z`, `2026-11-03`) or relative to now
// (`90s`, `30m`, `1h`, `7d`, `2w`), meaning that long ago; and event times read fast
// (isoMillis) on the append path.

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

/** The value of the digits of `text` in [from, to), or -1 if any is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * Epoch ms of a time written as `toISOString` writes it (`2026-11-03T10:00:00.000Z`), read
 * without Date.parse (which a profile of the append path showed as a sixth of encoding);
 * NaN for any other text, which the caller gives to Date.parse. Only fields that cannot
 * roll over are taken (days past the 28th go to Date.parse, which rolls them over), so the
 * result is always Date.parse's.
 */
export function isoMillis(text: string): number {
  if (text.length !== 24) return Number.NaN;
  if (
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(19) !== 0x2e ||
    text.charCodeAt(23) !== 0x5a
  )
    return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  const ms = digits(text, 20, 23);
  // Date.UTC reads years 0-99 as 1900-1999; Date.parse does not.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 28) return Number.NaN;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0)
    return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}
