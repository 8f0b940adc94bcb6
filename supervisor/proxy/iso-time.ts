// ISO 8601 times for the audit records of every request, made cheaply: Date's formatting
// runs once per second and the milliseconds are appended (two records per request ask,
// and requests come faster than one per millisecond).

let lastSecond = Number.NaN;
/** The ISO text of lastSecond up to and including the ".". */
let prefix = '';
let lastMs = Number.NaN;
let lastIso = '';

/** `new Date(ms).toISOString()`, formatted once per second. */
export function isoOf(ms: number): string {
  if (ms === lastMs) return lastIso;
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const whole = new Date(second * 1000).toISOString();
    lastSecond = second;
    prefix = whole.slice(0, whole.length - 4);
  }
  const frac = ms - second * 1000;
  lastMs = ms;
  lastIso = `${prefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}Z`;
  return lastIso;
}

/** The current time as ISO 8601. */
export function isoNow(): string {
  return isoOf(Date.now());
}
