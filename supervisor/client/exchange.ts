// One request and its whole answer, for ApiClient.call: Node's http module, or, in the
// compiled `warden run` (Bun; supervisor/cli/run-native.ts), Bun's own fetch over the unix
// socket: its first request there takes half the time of Bun's node:http. Either way a
// request that reaches no daemon rejects with the error's code (or message), and one that
// takes longer than `timeoutMs` with 'timed out'.

import http from 'node:http';

export interface Exchange {
  status: number;
  text: string;
}

/** Rejects with this when no answer came; `reason` says why (a code such as ECONNREFUSED). */
export class NoAnswer extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

type BunFetchInit = RequestInit & { unix?: string };
const onBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

function viaFetch(
  opts: http.RequestOptions & { socketPath: string },
  body: string | undefined,
  timeoutMs: number,
) {
  const init: BunFetchInit = {
    method: opts.method ?? 'GET',
    headers: opts.headers as Record<string, string>,
    unix: opts.socketPath,
    signal: AbortSignal.timeout(timeoutMs),
    ...(body === undefined ? {} : { body }),
  };
  return fetch(`http://localhost${opts.path}`, init).then(
    async (res) => ({ status: res.status, text: await res.text() }),
    (error: Error & { code?: string }) => {
      throw new NoAnswer(error.name === 'TimeoutError' ? 'timed out' : (error.code ?? error.message));
    },
  );
}

export function exchange(
  opts: http.RequestOptions,
  body: string | undefined,
  timeoutMs: number,
): Promise<Exchange> {
  if (onBun && opts.socketPath) return viaFetch({ ...opts, socketPath: opts.socketPath }, body, timeoutMs);
  return new Promise((resolve, reject) => {
    const req = http.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (error: NodeJS.ErrnoException) => reject(new NoAnswer(error.code ?? error.message)));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.on('error', (error: NodeJS.ErrnoException) => reject(new NoAnswer(error.code ?? error.message)));
    req.end(body);
  });
}
