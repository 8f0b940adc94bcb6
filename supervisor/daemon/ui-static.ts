// Browser mode: the renderer bundle (dist/renderer) served by the daemon's loopback HTTP
// listener as static files. ApiServer calls this only on the TCP listener and only after
// its Host/Origin checks; the files hold no secret (the page exchanges the one-time code in
// its URL fragment for the token, ui-session.ts), and every API call still needs the token.

import { existsSync, readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Inline styles as in the Electron window's CSP: xterm.js (the embedded terminal) sizes its
// rows and colours with <style> elements it writes at run time.
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** dist/renderer of this package, found from wherever this code runs (sources or dist/). */
export function findUiDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    for (const candidate of [path.join(dir, 'dist', 'renderer'), path.join(dir, 'renderer')]) {
      if (existsSync(path.join(candidate, 'index.html')) && existsSync(path.join(candidate, 'app.js')))
        return candidate;
    }
    dir = path.dirname(dir);
  }
  return path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'renderer');
}

/** Resolve a URL path inside `root`, or null (traversal, hidden files, odd bytes). */
export function resolveInside(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;
  const full = path.resolve(root, ...segments);
  const base = path.resolve(root);
  if (full !== base && !full.startsWith(base + path.sep)) return null;
  return full;
}

/** The ApiServer `fallback`: answers GET/HEAD for files of the bundle, declines everything else. */
export function staticFiles(root: string): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = new URL(req.url ?? '/', 'http://warden.local');
    if (url.pathname.startsWith('/v1/') || url.pathname === '/v1') return false;
    const pathname = url.pathname === '/' ? '/index.html' : url.pathname;
    const headers = {
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': UI_CSP,
    };
    const file = resolveInside(root, pathname);
    const type = file ? TYPES[path.extname(file).toLowerCase()] : undefined;
    if (!file || !type) return false;
    let body: Buffer;
    try {
      if (!statSync(file).isFile()) return false;
      body = readFileSync(file);
    } catch {
      if (pathname !== '/index.html') return false;
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The Warden renderer bundle is missing (${root}).\nBuild it with: npm run build\n`);
      return true;
    }
    res.writeHead(200, { ...headers, 'content-type': type, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
