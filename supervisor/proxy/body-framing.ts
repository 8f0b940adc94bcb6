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
