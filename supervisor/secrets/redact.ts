// Redaction of real secret values in what a bound host sends back (security model rule 1):
// an upstream that echoes its request must not hand the injected value to the agent. Each
// occurrence is overwritten byte for byte with `*`, so lengths (and Content-Length) hold.
// Pure: the caller passes the values and is told which secret was found, never where it is.

const STAR = 0x2a;

export interface RedactNeedle {
  secret: string;
  bytes: Buffer;
}

/** The forms in which a value may come back: as sent (raw, URL-encoded, Basic at any offset), and JSON-escaped. */
export function redactionNeedles(values: ReadonlyArray<{ secret: string; value: string }>): RedactNeedle[] {
  const out: RedactNeedle[] = [];
  const seen = new Set<string>();
  for (const { secret, value } of values) {
    if (value.length === 0) continue;
    const forms = [
      value,
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
      JSON.stringify(value).slice(1, -1),
      ...base64Forms(Buffer.from(value, 'utf8')),
    ];
    for (const form of forms) {
      if (seen.has(form)) continue;
      seen.add(form);
      out.push({ secret, bytes: Buffer.from(form, 'utf8') });
    }
  }
  return out;
}

/**
 * The base64 (and base64url) characters fixed by the value alone, at each of the three
 * alignments: an echoed `Basic base64(user:value)` puts the value after any number of bytes.
 */
function base64Forms(value: Buffer): string[] {
  const out = [value.toString('base64'), value.toString('base64url')];
  for (let align = 0; align < 3; align++) {
    const padded = Buffer.concat([Buffer.alloc(align), value]);
    const first = Math.ceil((8 * align) / 6);
    const last = Math.floor((8 * (align + value.length)) / 6);
    if (last - first < 4) continue;
    for (const alphabet of ['base64', 'base64url'] as const) {
      out.push(padded.toString(alphabet).slice(first, last));
    }
  }
  return out;
}

interface Match {
  start: number;
  end: number;
  secret: string;
}

function findAll(buf: Buffer, needles: readonly RedactNeedle[]): Match[] {
  const out: Match[] = [];
  for (const n of needles) {
    let at = buf.indexOf(n.bytes);
    while (at !== -1) {
      out.push({ start: at, end: at + n.bytes.length, secret: n.secret });
      at = buf.indexOf(n.bytes, at + 1);
    }
  }
  return out;
}

/** Redact every needle in `text`; `found` gets the secret names (once each). */
export function redactText(
  text: string,
  needles: readonly RedactNeedle[],
): { text: string; found: string[] } {
  const buf = Buffer.from(text, 'utf8');
  const matches = findAll(buf, needles);
  if (matches.length === 0) return { text, found: [] };
  for (const m of matches) buf.fill(STAR, m.start, m.end);
  return { text: buf.toString('utf8'), found: [...new Set(matches.map((m) => m.secret))] };
}

/** Redact the values of raw header pairs in place; returns each (secret, lower-case header name) found. */
export function redactRawHeaders(
  raw: string[],
  needles: readonly RedactNeedle[],
): Array<{ secret: string; header: string }> {
  const out: Array<{ secret: string; header: string }> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const { text, found } = redactText(raw[i + 1] as string, needles);
    if (found.length === 0) continue;
    raw[i + 1] = text;
    for (const secret of found) out.push({ secret, header: (raw[i] as string).toLowerCase() });
  }
  return out;
}

export interface StreamRedactor {
  /** The bytes that are safe to pass on now (redacted); a tail that may start a value is held. */
  push(chunk: Buffer): Buffer;
  /** The held tail, redacted: call once, at the end of the stream. */
  end(): Buffer;
}

/**
 * A same-length redactor for a streamed body. It holds back only the longest tail that is
 * the start of a value, so a value cut across chunks is found, and a stream whose chunks
 * end elsewhere (server-sent events, say) is not delayed.
 */
export function createStreamRedactor(
  needles: readonly RedactNeedle[],
  onFound: (secret: string) => void,
): StreamRedactor {
  const longest = needles.reduce((m, n) => Math.max(m, n.bytes.length), 0);
  const firsts = new Set(needles.map((n) => n.bytes[0]));
  /** Original bytes not yet passed on, and how many of them (from the start) are already redacted. */
  let carry: Buffer = Buffer.alloc(0);
  let carryRedacted = 0;

  const heldTail = (buf: Buffer): number => {
    for (let i = Math.max(0, buf.length - longest + 1); i < buf.length; i++) {
      if (!firsts.has(buf[i])) continue;
      const size = buf.length - i;
      for (const n of needles) {
        if (n.bytes.length > size && buf.compare(n.bytes, 0, size, i) === 0) return size;
      }
    }
    return 0;
  };

  const run = (buf: Buffer, final: boolean): Buffer => {
    const matches = findAll(buf, needles);
    const cut = final ? buf.length : buf.length - heldTail(buf);
    const applied = matches.filter((m) => m.start < cut);
    if (applied.length === 0 && carryRedacted === 0) {
      carry = Buffer.from(buf.subarray(cut));
      return buf.subarray(0, cut);
    }
    const out = Buffer.from(buf.subarray(0, cut));
    out.fill(STAR, 0, Math.min(carryRedacted, cut));
    let into = Math.max(0, carryRedacted - cut);
    for (const m of applied) {
      out.fill(STAR, m.start, Math.min(m.end, cut));
      into = Math.max(into, m.end - cut);
      onFound(m.secret);
    }
    carry = Buffer.from(buf.subarray(cut));
    carryRedacted = into;
    return out;
  };

  return {
    push(chunk) {
      const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      return run(buf, false);
    },
    end() {
      const out = run(carry, true);
      carry = Buffer.alloc(0);
      carryRedacted = 0;
      return out;
    },
  };
}
