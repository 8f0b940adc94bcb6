// Is a string an IPv4 address in four-part decimal (ipaddr.js's isValidFourPartDecimal)?
// The cheap pattern goes first: ipaddr.js answers "no" by throwing and catching inside, which
// costs microseconds per host name on the hot path (deciding a request, compiling a rule).

import ipaddr from 'ipaddr.js';

const FOUR_PART_DECIMAL = /^(0|[1-9]\d*)(\.(0|[1-9]\d*)){3}$/;

export function isFourPartDecimal(text: string): boolean {
  return FOUR_PART_DECIMAL.test(text) && ipaddr.IPv4.isValidFourPartDecimal(text);
}
