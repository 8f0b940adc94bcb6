// An upstream's `Keep-Alive: timeout=N` hint, read from an answer's raw header pairs as
// Node's agent reads it, for both of the proxy's upstream clients (upstream.ts, raw-pool.ts).

/** Node's own headroom before an upstream's announced keep-alive timeout. */
export const KEEP_ALIVE_HEADROOM_MS = 1000;

/** The seconds of the first Keep-Alive header's leading `timeout=N`, as Node reads it. */
export function keepAliveHint(rawHeaders: string[]): number | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
    const m = /^timeout=(\d+)/.exec(rawHeaders[i + 1]!);
    return m ? Number.parseInt(m[1]!, 10) : undefined;
  }
  return undefined;
}
