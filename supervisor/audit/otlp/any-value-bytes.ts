// An OTLP AnyValue's JSON written straight into bytes (the export's hot path): the same text
// as JSON.stringify(anyValue(v)), without building the object tree or a string. Objects the
// OCSF mapper shares are written once and copied; objects of one shape share a member plan.

import { type Fragment, fragment, JsonBytes } from './json-bytes.ts';

// `{"key":"<k>","value":` for the keys seen so far: OCSF objects reuse a few hundred names.
const keyPrefixes = new Map<string, Fragment | null>();

function writeKey(w: JsonBytes, key: string): void {
  let p = keyPrefixes.get(key);
  if (p === undefined) {
    const text = `{"key":${JSON.stringify(key)},"value":`;
    p = /^[\x20-\x7e]*$/.test(text) ? fragment(text) : null;
    if (keyPrefixes.size < 4096) keyPrefixes.set(key, p);
  }
  if (p) return w.raw(p);
  w.raw(F.key);
  w.string(key);
  w.raw(F.value);
}

const F = {
  key: fragment('{"key":'),
  value: fragment(',"value":'),
  str: fragment('{"stringValue":'),
  int: fragment('{"intValue":"'),
  intEnd: fragment('"}'),
  double: fragment('{"doubleValue":'),
  true: fragment('{"boolValue":true}'),
  false: fragment('{"boolValue":false}'),
  empty: fragment('{}'),
  array: fragment('{"arrayValue":{"values":['),
  kvlist: fragment('{"kvlistValue":{"values":['),
  listEnd: fragment(']}}'),
};

/** The JSON of anyValue(v), written into `w` (the export's hot path: no object tree, no string). */
export function writeAnyValue(w: JsonBytes, v: unknown, depth = 0): void {
  if (depth > 32) {
    w.raw(F.str);
    w.string(JSON.stringify(v) ?? 'null');
    return w.byte(0x7d);
  }
  if (v === null || v === undefined) return w.raw(F.empty);
  switch (typeof v) {
    case 'string':
      w.raw(F.str);
      w.string(v);
      return w.byte(0x7d);
    case 'boolean':
      return w.raw(v ? F.true : F.false);
    case 'number':
      if (Number.isSafeInteger(v)) {
        w.raw(F.int);
        w.ascii(String(v));
        return w.raw(F.intEnd);
      }
      w.raw(F.double);
      if (Number.isFinite(v)) w.ascii(String(v));
      else w.string(String(v));
      return w.byte(0x7d);
    case 'object':
      if (depth <= SHARED_DEPTH && Object.isFrozen(v)) return writeShared(w, v, depth);
      return writeObject(w, v, depth);
    default:
      w.raw(F.str);
      w.string(String(v));
      return w.byte(0x7d);
  }
}

// Objects the mapper shares between records (the device, the product, an actor, a sandbox:
// deep-frozen, see ocsf-shared.ts) are written once; later records copy the bytes. Only
// shallow ones near the top, so that the depth limit cannot apply inside them.
const SHARED_DEPTH = 8;
const sharedBytes = new WeakMap<object, Fragment>();

function writeShared(w: JsonBytes, v: object, depth: number): void {
  const known = sharedBytes.get(v);
  if (known) return w.raw(known);
  const start = w.length;
  const frozen = deepFrozen(v, SHARED_DEPTH);
  if (frozen) {
    // Written as if unshared, then kept (a copy: the writer's buffer moves on).
    writeObject(w, v, depth);
    sharedBytes.set(v, Buffer.from(w.bytes().subarray(start)));
  } else writeObject(w, v, depth);
}

function writeObject(w: JsonBytes, v: object, depth: number): void {
  if (Array.isArray(v)) {
    w.raw(F.array);
    for (let i = 0; i < v.length; i++) {
      if (i) w.byte(0x2c);
      writeAnyValue(w, v[i], depth + 1);
    }
    return w.raw(F.listEnd);
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  w.raw(F.kvlist);
  const plan = keys.length && depth < 32 ? planOf(keys) : null;
  // Values in the keys' order: one builtin walk instead of a keyed load each (megamorphic).
  if (plan) return writeMembers(w, Object.values(o), plan, depth);
  writeMembersSlow(w, o, keys, depth);
  w.raw(F.listEnd);
}

/** Frozen all the way down, and at most `levels` deep (its bytes then do not depend on where it is). */
function deepFrozen(v: unknown, levels: number): boolean {
  if (v === null || typeof v !== 'object') return true;
  if (levels === 0 || !Object.isFrozen(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) return false;
  for (const member of Object.values(v)) if (!deepFrozen(member, levels - 1)) return false;
  return true;
}

// An object's members as written: keys in canonical (code-unit) order, as canonicalJson writes
// them; undefined members left out. Objects of the same shape (the mapper builds few) share a
// plan: the order and each member's leading text, with the common value types' opening joined
// to it and the member before's closing text and comma joined before it, so that a member
// costs one copy of prepared bytes besides its value.
interface Plan {
  keys: readonly string[];
  /** keys' indexes in code-unit order. */
  order: Int32Array;
  /**
   * By what came before (LEAD_*), then by sorted position: `{"key":"<k>","value":`, the same
   * followed by a string's opening (`{"stringValue":`) or an integer's (`{"intValue":"`).
   */
  member: Fragment[][];
  string: Fragment[][];
  int: Fragment[][];
}

// What a member's leading text starts with: nothing (the first), the closing of a string or
// integer member before it (`}}` after its closing quote) and a comma, or that of another (`}`).
const LEAD_FIRST = 0;
const LEAD_SCALAR = 1;
const LEAD_OTHER = 2;
const LEADS = ['', '}},', '},'];
/** The kvlist's end by what came last: `]}}` after nothing, else the last member's closing first. */
const LIST_END = [fragment(']}}'), fragment('}}]}}'), fragment('}]}}')];

const plans = new Map<string, Plan[]>();
let planCount = 0;
const MAX_PLANS = 4096;

function planOf(keys: readonly string[]): Plan | null {
  const list = plans.get(keys[0]!);
  if (list)
    for (const p of list) {
      const pk = p.keys;
      if (pk.length !== keys.length) continue;
      let same = true;
      for (let i = 0; i < pk.length; i++)
        if (pk[i] !== keys[i]) {
          same = false;
          break;
        }
      if (same) return p;
    }
  if (planCount >= MAX_PLANS) return null;
  const order = Int32Array.from(keys.map((_, i) => i)).sort((a, b) =>
    keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0,
  );
  const member: Fragment[][] = [[], [], []];
  const string: Fragment[][] = [[], [], []];
  const int: Fragment[][] = [[], [], []];
  for (const i of order) {
    const text = `{"key":${JSON.stringify(keys[i])},"value":`;
    // Keys that are not printable ASCII go the slow way (their bytes are not a fragment).
    if (!/^[\x20-\x7e]*$/.test(text)) return null;
    for (let lead = 0; lead < LEADS.length; lead++) {
      member[lead]!.push(fragment(`${LEADS[lead]}${text}`));
      string[lead]!.push(fragment(`${LEADS[lead]}${text}{"stringValue":`));
      int[lead]!.push(fragment(`${LEADS[lead]}${text}{"intValue":"`));
    }
  }
  const plan: Plan = { keys: [...keys], order, member, string, int };
  plans.set(keys[0]!, [...(list ?? []), plan]);
  planCount++;
  return plan;
}

/** The members (`values` in the plan's keys' order) and the kvlist's end (`F.kvlist` is written). */
function writeMembers(w: JsonBytes, values: readonly unknown[], plan: Plan, depth: number): void {
  const order = plan.order;
  let lead = LEAD_FIRST;
  for (let j = 0; j < order.length; j++) {
    const member = values[order[j]!];
    if (member === undefined) continue;
    if (typeof member === 'string') {
      w.raw(plan.string[lead]![j]!);
      w.string(member);
      lead = LEAD_SCALAR;
    } else if (typeof member === 'number' && Number.isSafeInteger(member)) {
      w.raw(plan.int[lead]![j]!);
      w.ascii(String(member));
      w.byte(0x22);
      lead = LEAD_SCALAR;
    } else {
      w.raw(plan.member[lead]![j]!);
      writeAnyValue(w, member, depth + 1);
      lead = LEAD_OTHER;
    }
  }
  w.raw(LIST_END[lead]!);
}

function writeMembersSlow(w: JsonBytes, o: Record<string, unknown>, keys: string[], depth: number): void {
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! >= keys[i]!) {
      keys.sort();
      break;
    }
  }
  let first = true;
  for (const key of keys) {
    const member = o[key];
    if (member === undefined) continue;
    if (!first) w.byte(0x2c);
    first = false;
    writeKey(w, key);
    writeAnyValue(w, member, depth + 1);
    w.byte(0x7d);
  }
}

/** The JSON text of anyValue(v). */
export function anyValueJson(v: unknown): string {
  const w = new JsonBytes(1024);
  writeAnyValue(w, v);
  return w.toString();
}
