// Writing into byte buffers by hand: for the short runs of the append path (a key, a hash,
// a seq) a JavaScript loop costs less than a call into C++.

/** ASCII text into `to` at `at`; the position after it. */
export function put(to: Buffer, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) to[at++] = text.charCodeAt(i);
  return at;
}

/** Bytes `from[start, end)` into `to` at `at`, by hand: short runs cost less than a call into C++. */
export function putBytes(to: Buffer, at: number, from: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) to[at++] = from[i] as number;
  return at;
}

/** Decimal digits of a non-negative safe integer into `to` at `at`; the position after them. */
export function putInteger(to: Buffer, at: number, value: number): number {
  let digits = 1;
  for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
  const after = at + digits;
  for (let v = value, i = after; i > at; v = Math.floor(v / 10)) to[--i] = 0x30 + (v % 10);
  return after;
}
