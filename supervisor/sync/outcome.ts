// What the link does with a hub's answer that is not a success: the contract's error names
// and statuses (supervisor/api/hub.ts) mapped to one action each.

import { type HubReply, replyError } from './hub-client.ts';
import { parseRetryAfter } from './retry.ts';

export type Failure =
  /** 413: the same records in smaller batches, at once. */
  | { action: 'shrink'; message: string }
  /** 429, 5xx, timeouts, resets: back off (Retry-After is a floor). */
  | { action: 'retry'; message: string; retryAfterMs: number | null }
  /** 400: the batch is parked and an alert recorded; tried again slowly. */
  | { action: 'park'; message: string }
  /** 401/403: the key is refused (revoked); stop until enrolled again. */
  | { action: 'revoked'; message: string }
  /** 409 ChainFork: the hub holds a different record at `seq`. */
  | { action: 'fork'; message: string; seq: number | null }
  /** 409 ChainGap: the hub expects `expectedSeq` next. */
  | { action: 'gap'; message: string; expectedSeq: number | null };

export function classify(reply: HubReply, what: string): Failure {
  const error = replyError(reply);
  const said = error?.message ? `: ${error.message}` : '';
  const status = reply.status;
  const header = reply.headers['retry-after'];
  if (status === 413)
    return { action: 'shrink', message: `the hub found the ${what} too large (413)${said}` };
  if (status === 401 || status === 403) {
    const why =
      error?.name === 'DeviceRevoked'
        ? 'this device was revoked on the hub'
        : 'the hub refuses this device key';
    return { action: 'revoked', message: `${why} (${status})${said}` };
  }
  if (status === 409 && error?.name === 'ChainFork') {
    const seq = typeof error.seq === 'number' ? error.seq : null;
    return {
      action: 'fork',
      seq,
      message: `the hub holds a different record at seq ${seq ?? '?'}: records were rewritten after they were synced${said}`,
    };
  }
  if (status === 409 && error?.name === 'ChainGap') {
    const expectedSeq = typeof error.expectedSeq === 'number' ? error.expectedSeq : null;
    return {
      action: 'gap',
      expectedSeq,
      message: `the hub expects seq ${expectedSeq ?? '?'} next (409 gap)${said}`,
    };
  }
  if (
    status === 400 ||
    status === 409 ||
    (status >= 400 && status < 500 && status !== 408 && status !== 429)
  ) {
    return { action: 'park', message: `the hub refused the ${what} (${status})${said}` };
  }
  return {
    action: 'retry',
    retryAfterMs: parseRetryAfter(Array.isArray(header) ? header[0] : header),
    message: `the hub answered the ${what} with ${status}${said}`,
  };
}
