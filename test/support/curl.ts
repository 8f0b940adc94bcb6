// curl as a real proxy client.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface CurlResult {
  status: number;
  /** Every response head curl saw (a CONNECT's too), as text. */
  headers: string;
  body: string;
  exitCode: number;
  stderr: string;
}

/** Run curl with the listener's environment (HTTP(S)_PROXY, CA bundle). */
export function curl(env: Record<string, string>, args: string[]): Promise<CurlResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'warden-curl-'));
  const headerFile = path.join(dir, 'headers');
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '--max-time', '20', '-D', headerFile, '-w', '\n%{http_code}', ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const cut = stdout.lastIndexOf('\n');
        let headers = '';
        try {
          headers = readFileSync(headerFile, 'utf8');
        } catch {}
        rmSync(dir, { recursive: true, force: true });
        resolve({
          status: Number(stdout.slice(cut + 1)) || 0,
          body: stdout.slice(0, cut),
          headers,
          stderr,
          exitCode: error ? Number((error as { code?: number }).code ?? 1) : 0,
        });
      },
    );
  });
}
