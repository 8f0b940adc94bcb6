// Browser mode gets its token from the URL fragment (`/#token=…`; a fragment never reaches
// the server), keeps it in sessionStorage and strips it from the address bar.

const KEY = 'warden.token';

export function takeToken(win: Window = window): string | null {
  const hash = new URLSearchParams(win.location.hash.replace(/^#/, ''));
  const fromHash = hash.get('token');
  if (fromHash) {
    win.sessionStorage.setItem(KEY, fromHash);
    hash.delete('token');
    const rest = hash.toString();
    win.history.replaceState(
      null,
      '',
      `${win.location.pathname}${win.location.search}${rest ? `#${rest}` : ''}`,
    );
    return fromHash;
  }
  return win.sessionStorage.getItem(KEY);
}
