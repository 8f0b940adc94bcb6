// A request body redacted as it streams. A JSON body is read by a small lexer that decodes
// the escapes of its strings (`\u0040` is an `@`, `\n` a newline), so detectors see the
// text the model will read, while the bytes sent on stay the client's own except where a
// mask replaces a match (a mask is plain ASCII without quote or backslash, so the JSON stays
// valid). Scanning the parsed JSON instead would need the whole body in memory. A body that
// is not JSON is scanned as text. Only a bounded window (the longest match) is held back.

import { TextWindow, type WindowRules } from './window.ts';

const SIMPLE: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

const HEX4 = /^[0-9a-fA-F]{4}$/;

/** The UTF-8 bytes of a code unit or code point, as a byte string. */
function utf8Of(codePoint: number): string {
  return Buffer.from(String.fromCodePoint(codePoint), 'utf8').toString('latin1');
}

export class BodyScanner {
  readonly #window: TextWindow;
  readonly #json: boolean;
  #inString = false;
  /** An escape cut by the end of a chunk: its start, held for the next one. */
  #held = '';

  constructor(rules: WindowRules, json: boolean) {
    this.#window = new TextWindow(rules);
    this.#json = json;
  }

  /** How many of each kind were masked so far. */
  get counts(): Record<string, number> {
    return this.#window.counts;
  }

  /** How many decoded bytes are held back now (bounded by the longest match and a chunk). */
  get held(): number {
    return this.#window.pending + this.#held.length;
  }

  /** The bytes that may go upstream now; throws RedactionBlocked when a `block` rule matched. */
  push(chunk: Buffer): Buffer {
    const text = chunk.toString('latin1');
    if (this.#json) this.#lex(this.#held + text, false);
    else this.#window.plain(text);
    return Buffer.from(this.#window.flush(false), 'latin1');
  }

  /** The rest, at the end of the body. */
  end(): Buffer {
    if (this.#json && this.#held !== '') this.#lex(this.#held, true);
    return Buffer.from(this.#window.flush(true), 'latin1');
  }

  #lex(c: string, final: boolean): void {
    this.#held = '';
    const w = this.#window;
    const n = c.length;
    let i = 0;
    let quote = -2;
    let slash = -2;
    while (i < n) {
      if (quote < i && quote !== -1) quote = c.indexOf('"', i);
      if (!this.#inString) {
        if (quote === -1) {
          w.plain(c.slice(i));
          return;
        }
        w.plain(c.slice(i, quote));
        w.plain('"', '\0');
        this.#inString = true;
        i = quote + 1;
        continue;
      }
      if (slash < i && slash !== -1) slash = c.indexOf('\\', i);
      if (slash === -1 || (quote !== -1 && quote < slash)) {
        if (quote === -1) {
          w.plain(c.slice(i));
          return;
        }
        w.plain(c.slice(i, quote));
        w.plain('"', '\0');
        this.#inString = false;
        i = quote + 1;
        continue;
      }
      w.plain(c.slice(i, slash));
      const used = this.#escape(c, slash, final);
      if (used === 0) {
        this.#held = c.slice(slash);
        return;
      }
      i = slash + used;
      // The quote found may have been the escaped one.
      if (quote < i) quote = -2;
    }
  }

  /** Decode the escape at `at`; returns the characters it used, or 0 when it is cut. */
  #escape(c: string, at: number, final: boolean): number {
    const w = this.#window;
    const kind = c[at + 1];
    if (kind === undefined) {
      if (!final) return 0;
      w.plain('\\');
      return 1;
    }
    const simple = SIMPLE[kind];
    if (simple !== undefined) {
      w.escape(c.slice(at, at + 2), simple);
      return 2;
    }
    if (kind !== 'u') {
      // Not JSON: read as the character after the backslash.
      w.escape(c.slice(at, at + 2), kind);
      return 2;
    }
    if (c.length < at + 6 && !final) return 0;
    const hex = c.slice(at + 2, at + 6);
    if (!HEX4.test(hex)) {
      w.escape(c.slice(at, at + 2), 'u');
      return 2;
    }
    const unit = Number.parseInt(hex, 16);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (
        c.length < at + 12 &&
        !final &&
        c.slice(at + 6).length < 6 &&
        '\\u'.startsWith(c.slice(at + 6, at + 8))
      )
        return 0;
      const low = c.slice(at + 6, at + 12);
      if (low.startsWith('\\u') && HEX4.test(low.slice(2))) {
        const lowUnit = Number.parseInt(low.slice(2), 16);
        if (lowUnit >= 0xdc00 && lowUnit <= 0xdfff) {
          const cp = 0x10000 + ((unit - 0xd800) << 10) + (lowUnit - 0xdc00);
          w.escape(c.slice(at, at + 12), utf8Of(cp));
          return 12;
        }
      }
    }
    w.escape(c.slice(at, at + 6), utf8Of(unit));
    return 6;
  }
}
