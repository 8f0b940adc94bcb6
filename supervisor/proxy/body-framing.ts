// Every request body that goes upstream is framed by us, whatever its method. Node frames
// a body with chunking by default only for methods that usually carry one: a GET, HEAD,
// DELETE or OPTIONS whose hop-by-hop Transfer-Encoding was dropped would otherwise go out
// raw, and the upstream would read it as further requests nobody decided.

import type http from 'node:http';

/** True when the client's request declares a body (RFC 9112 §6.3: a length or chunking). */
export function declaresBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined;
}

/**
 * Why the request's transfer coding cannot be relayed, or null. Node's parser accepts
 * `Transfer-Encoding: gzip, chunked` and hands on the body with only the chunking removed;
 * re-framed as chunked it would mean something else upstream, and it was searched for
 * placeholders compressed. Only `chunked` alone is relayed.
 */
export function transferCodingProblem(req: http.IncomingMessage): string | null {
  const te = req.headers['transfer-encoding'];
  if (te === undefined || te.trim().toLowerCase() === 'chunked') return null;
  return `the request's transfer coding "${te.slice(0, 60)}" is not relayed (only chunked is); send the body chunked or with a Content-Length, and compress it with Content-Encoding if need be`;
}

/**
 * Set the upstream framing of `req`'s body on `headers` (end-to-end headers, lower-case):
 * the client's Content-Length when it sent one, chunked when it chunked (Node's parser
 * has already refused a request with both), nothing when it has no body.
 */
export function frameBody(
  req: http.IncomingMessage,
  headers: Record<string, string | string[]>,
): Record<string, string | string[]> {
  delete headers['content-length'];
  delete headers['transfer-encoding'];
  if (req.headers['transfer-encoding'] !== undefined) headers['transfer-encoding'] = 'chunked';
  else if (req.headers['content-length'] !== undefined)
    headers['content-length'] = req.headers['content-length'];
  return headers;
}
