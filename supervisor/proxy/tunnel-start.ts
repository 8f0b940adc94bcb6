// What a client starts a host-level tunnel with. A tunnel allowed at the host level is spliced
// unread, but plain HTTP inside it would then pass under a rule meant for HTTPS (an
// `https://` allow beside an `http://` deny): such a tunnel is read and decided request by
// request instead. TLS, SSH, SMTP and other protocols are spliced as before.

/** Longest HTTP method we wait for before calling the start something else. */
const MAX_METHOD = 16;
/** A request line longer than this without its end is read as HTTP (the parser refuses it). */
const MAX_LINE = 8192;

/**
 * `http`: the bytes start an HTTP/1 request line (`METHOD target HTTP/…`); `other`: they
 * cannot; `more`: too few bytes to tell.
 */
export function classifyTunnelStart(bytes: Uint8Array): 'http' | 'other' | 'more' {
  let letters = 0;
  while (letters < bytes.length && letters <= MAX_METHOD && isLetter(bytes[letters]!)) letters++;
  if (letters === bytes.length && letters <= MAX_METHOD) return 'more';
  if (letters < 3 || letters > MAX_METHOD || bytes[letters] !== 0x20) return 'other';
  // `METHOD ` so far: SMTP, FTP and POP commands look the same; the line's end tells.
  const end = bytes.findIndex((c) => c === 0x0d || c === 0x0a);
  if (end === -1) return bytes.length > MAX_LINE ? 'http' : 'more';
  const line = Buffer.from(bytes.subarray(0, end)).toString('latin1');
  return / \S+ HTTP\/\d/.test(line.slice(letters)) ? 'http' : 'other';
}

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
