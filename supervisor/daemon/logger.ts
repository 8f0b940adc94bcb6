// Plain log lines for the daemon: time, level, message, then key=value fields. Callers
// never pass secret values; fields are printed as given.

import type { Logger } from '../proxy/index.ts';

export function createLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
          .join(' ')
      : '';
    write(`${new Date().toISOString()} ${level} ${message}${extra ? ` ${extra}` : ''}\n`);
  };
  return {
    info: (m, f) => line('info', m, f),
    warn: (m, f) => line('warn', m, f),
    error: (m, f) => line('error', m, f),
  };
}
