// Deterministic JSON: object keys sorted by code unit, no whitespace, `undefined` members
// dropped. Idempotent: canonicalJson(JSON.parse(canonicalJson(x))) === canonicalJson(x).
//
// Two implementations with the same output:
// - `canonicalJsonReference`: the definition, written out (sort every object's keys, write
//   each member). Slow: it builds the text piece by piece in JavaScript.
// - `canonicalJson`: one pass that checks the value is plain JSON data whose objects already
//   have their keys in code-unit order (the OCSF mapper builds them that way), copying only
//   the objects that are not sorted, then the engine's native JSON.stringify. For such data,
//   JSON.stringify writes keys in property order and strings/numbers exactly as the reference
//   does. Anything unusual (a toJSON method, a class instance, a Map) goes to the reference.
//   canonical.test.ts checks the two agree on varied inputs.

function write(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          out += (i === 0 ? '' : ',') + (item === undefined ? 'null' : write(item));
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length > 1) keys.sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += `${first ? '' : ','}${JSON.stringify(key)}:${write(member)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** The reference implementation (the definition of the canonical form). */
export function canonicalJsonReference(value: unknown): string {
  return write(value);
}

/** Thrown inside `prepare` when the value needs the reference writer. */
const UNUSUAL: unique symbol = Symbol('unusual');

/**
 * The value itself when it is plain JSON data with sorted keys everywhere; otherwise a copy
 * whose objects are rebuilt in sorted key order. Throws TypeError as the reference does, or
 * UNUSUAL for values JSON.stringify would treat differently from the reference.
 */
function prepare(value: unknown, depth: number): unknown {
  if (value === null) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return value;
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  if (depth > 64) throw UNUSUAL;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || Object.hasOwn(value, 'toJSON')) throw UNUSUAL;
    let copy: unknown[] | null = null;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // JSON.stringify writes null for an undefined item, as the reference does.
      const prepared = item === undefined ? undefined : prepare(item, depth + 1);
      if (prepared !== item && copy === null) copy = value.slice(0, i);
      if (copy !== null) copy.push(prepared);
    }
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw UNUSUAL;
  const record = value as Record<string, unknown>;
  // Common case, without allocating: keys already in order and every member usable as is.
  // (for…in sees only own keys here: canonicalJson refuses a polluted Object.prototype.)
  let prev: string | null = null;
  let plain = true;
  for (const key in record) {
    if (prev !== null && prev >= key) {
      plain = false;
      break;
    }
    prev = key;
    const member = record[key];
    const type = typeof member;
    if (type === 'string' || type === 'boolean' || member === undefined || member === null) continue;
    if (type === 'number' ? !Number.isFinite(member) : prepare(member, depth + 1) !== member) {
      plain = false;
      break;
    }
  }
  if (plain) return value;
  // Integer-like keys come first in property order whatever the insertion order, so a key
  // set like ["10", "9"] cannot be represented by an object in code-unit order.
  const keys = Object.keys(record).sort();
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57 && /^(?:0|[1-9]\d*)$/.test(key)) throw UNUSUAL;
    const member = record[key];
    copy[key] = member === undefined ? undefined : prepare(member, depth + 1);
  }
  return copy;
}

/** Enumerable properties inherited by every object would change what for…in and JSON see. */
function prototypesClean(): boolean {
  for (const _ in Object.prototype) return false;
  for (const _ in Array.prototype) return false;
  return !('toJSON' in Object.prototype) && !('toJSON' in Array.prototype);
}

/** Canonical JSON text of a value (fast path; same output as canonicalJsonReference). */
export function canonicalJson(value: unknown): string {
  if (!prototypesClean()) return write(value);
  let prepared: unknown;
  try {
    prepared = prepare(value, 0);
  } catch (error) {
    if (error === UNUSUAL) return write(value);
    throw error;
  }
  return JSON.stringify(prepared);
}

/**
 * The object JSON.parse(canonicalJson(value)) would give, built without the text: a deep
 * copy of plain data with keys in code-unit order and undefined members dropped (undefined
 * array items become null). Used to hand out OCSF objects built on read.
 */
export function canonicalCopy(value: unknown): unknown {
  if (!prototypesClean()) return JSON.parse(write(value));
  try {
    return copy(value, 0);
  } catch (error) {
    if (error === UNUSUAL) return JSON.parse(canonicalJson(value));
    throw error;
  }
}

function copy(value: unknown, depth: number): unknown {
  if (value === null) return value;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
      return value === 0 ? 0 : value; // -0 reads back as 0
    case 'object':
      break;
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  if (depth > 64) throw UNUSUAL;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || Object.hasOwn(value, 'toJSON')) throw UNUSUAL;
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = item === undefined ? null : copy(item, depth + 1);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw UNUSUAL;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) >= (keys[i] as string)) {
      sorted = false;
      break;
    }
  }
  if (!sorted) keys.sort();
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const c = key.charCodeAt(0);
    // Integer-like keys are placed first by the engine whatever the order (see prepare).
    if (c >= 48 && c <= 57 && /^(?:0|[1-9]\d*)$/.test(key)) throw UNUSUAL;
    const member = record[key];
    if (member !== undefined) out[key] = copy(member, depth + 1);
  }
  return out;
}
