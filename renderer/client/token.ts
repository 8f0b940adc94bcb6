// Browser mode's session: the URL `warden ui` opens carries a one-time code in its fragment
// (`/#code=…`; a fragment never reaches the server, and the token itself is never in a URL,
// since a browser opener's argv can be read with `ps`). The page strips the code from the
// address bar, exchanges it once at UI_SESSION_PATH for the token, and keeps the token in
// sessionStorage, so a reload of the same tab needs no new code.

import type { ErrorEnvelope, UiSessionResponse } from '../../supervisor/api/messages.ts';
import { UI_SESSION_PATH } from '../../supervisor/api/routes.ts';

const KEY = 'warden.token';

export type Session = { token: string } | { problem: string; hint: string };

/** The token for this tab: from the code in the URL, else from sessionStorage. */
export async function takeSession(
  win: Window = window,
  doFetch: typeof fetch = globalThis.fetch.bind(globalThis),
): Promise<Session> {
  const hash = new URLSearchParams(win.location.hash.replace(/^#/, ''));
  const code = hash.get('code');
  if (!code) {
    const kept = win.sessionStorage.getItem(KEY);
    if (kept) return { token: kept };
    return {
      problem: 'No access code.',
      hint: 'Open this page with the URL `warden ui` prints: it carries a one-time code.',
    };
  }
  hash.delete('code');
  const rest = hash.toString();
  win.history.replaceState(
    null,
    '',
    `${win.location.pathname}${win.location.search}${rest ? `#${rest}` : ''}`,
  );
  try {
    const res = await doFetch(UI_SESSION_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
      cache: 'no-store',
    });
    const body = (await res.json()) as UiSessionResponse | ErrorEnvelope;
    if (res.ok && 'token' in body) {
      win.sessionStorage.setItem(KEY, body.token);
      return { token: body.token };
    }
    const error = 'error' in body ? body.error : undefined;
    // A tab that already holds a session keeps it (e.g. the same link opened again).
    const kept = win.sessionStorage.getItem(KEY);
    if (kept) return { token: kept };
    return {
      problem: error?.message ?? `the access code was refused (${res.status})`,
      hint: error?.hint ?? 'run `warden ui` again and open the new URL it prints',
    };
  } catch (error) {
    return {
      problem: `the Warden daemon is not answering (${(error as Error).message})`,
      hint: 'start it with: warden ui',
    };
  }
}
