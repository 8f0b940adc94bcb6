// A request body redacted as it streams. A JSON body is read with its string escapes decoded
// (`\u0040` is an `@`, `\n` a newline; json-text.ts), so detectors see the text the model will
// read, while the bytes sent on stay the client's own except where a mask replaces a match (a
// mask is plain ASCII without quote or backslash, so the JSON stays valid). Scanning the
// parsed JSON instead would need the whole body in memory. A body that is not JSON is scanned
// as text. Only a bounded window (the longest match) is held back between chunks.

import { plainJson, readJson, safeCut, splitTrailingEscape } from './json-text.ts';
import { type Reading, TEXT_READING, TextWindow, type WindowRules } from './window.ts';

const JSON_READING: Reading = {
  read: readJson,
  safeCut,
  expansion: 6,
  plain: plainJson,
  escaped: true,
};

export class BodyScanner {
  readonly #window: TextWindow;
  readonly #json: boolean;
  /** An escape cut by the end of a chunk, held for the next one. */
  #held = '';

  constructor(rules: WindowRules, json: boolean) {
    this.#window = new TextWindow(rules, json ? JSON_READING : TEXT_READING);
    this.#json = json;
  }

  /** How many of each kind were masked so far. */
  get counts(): Record<string, number> {
    return this.#window.counts;
  }

  /** How many bytes are held back now (bounded by the longest match and a chunk). */
  get held(): number {
    return this.#window.pending + this.#held.length;
  }

  /** The bytes that may go upstream now; throws RedactionBlocked when a `block` rule matched. */
  push(chunk: Buffer): Buffer {
    const text = chunk.toString('latin1');
    if (this.#json) {
      const [ready, rest] = splitTrailingEscape(this.#held + text);
      this.#held = rest;
      this.#window.append(ready);
    } else this.#window.append(text);
    return Buffer.from(this.#window.flush(false), 'latin1');
  }

  /** The rest, at the end of the body. */
  end(): Buffer {
    this.#window.append(this.#held);
    this.#held = '';
    return Buffer.from(this.#window.flush(true), 'latin1');
  }
}
