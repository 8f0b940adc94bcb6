// Random npm packuments for the packument rewrite's differential test
// (supervisor/packages/packument.test.ts), from a small seeded generator: random versions,
// times, scripts, attestations and dist-tags, escapes in every string and key, unicode,
// nested values, duplicate keys and odd whitespace.

const DAY = 86_400_000;

/** A small seeded generator (mulberry32): every run checks the same cases. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick, chance: (p: number) => next() < p };
}
export type Rng = ReturnType<typeof rng>;

const WS = [' ', '\t', '\n', '\r', '\n  '];
const CHARS = [
  'a',
  'z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\u0001',
  '\u001f',
  'é',
  'ß',
  '中',
  '😀',
  '\u2028',
  '\ud800',
  '\u007f',
];

/** JSON text of a string, each character escaped or not at random (always when JSON needs it). */
function str(r: Rng, s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    const must = ch === '"' || ch === '\\' || code < 0x20;
    if (must || r.chance(0.08)) {
      const short: Record<string, string> = {
        '"': '\\"',
        '\\': '\\\\',
        '\n': '\\n',
        '\t': '\\t',
        '/': '\\/',
      };
      if (short[ch] && r.chance(0.5)) out += short[ch];
      else for (const unit of ch.split('')) out += `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

function ws(r: Rng): string {
  return r.chance(0.2) ? r.pick(WS) : '';
}

type Value = null | boolean | number | string | Value[] | { [k: string]: Value } | Raw;
/** A value written as it is (a number in an odd form, or an object with duplicate keys). */
class Raw {
  constructor(readonly text: string) {}
}

/** JSON text of a value with random whitespace and escapes. */
function write(r: Rng, v: Value): string {
  if (v instanceof Raw) return v.text;
  if (typeof v === 'string') return str(r, v);
  if (Array.isArray(v)) return `[${ws(r)}${v.map((x) => write(r, x)).join(`${ws(r)},${ws(r)}`)}${ws(r)}]`;
  if (v !== null && typeof v === 'object') {
    const members = Object.entries(v).map(
      ([k, x]) => `${ws(r)}${str(r, k)}${ws(r)}:${ws(r)}${write(r, x)}${ws(r)}`,
    );
    return `{${members.join(',')}${members.length === 0 ? ws(r) : ''}}`;
  }
  return JSON.stringify(v);
}

function randomText(r: Rng): string {
  let s = '';
  const n = r.int(8);
  for (let i = 0; i < n; i++) s += r.pick(CHARS);
  return s;
}

function nested(r: Rng, depth: number): Value {
  const kind = r.int(depth > 3 ? 4 : 6);
  if (kind === 0) return randomText(r);
  if (kind === 1) return r.pick([0, -1, 1.5, 1e21, -2.5e-7, 123456789]);
  if (kind === 2) return r.pick([true, false, null]);
  if (kind === 3) return new Raw(r.pick(['1E+2', '-0.5e-3', '0', '-0', '1e0', '2.50']));
  if (kind === 4) return Array.from({ length: r.int(4) }, () => nested(r, depth + 1));
  const o: Record<string, Value> = {};
  for (let i = r.int(4); i > 0; i--) o[randomText(r)] = nested(r, depth + 1);
  return o;
}

function randomVersion(r: Rng): string {
  if (r.chance(0.06))
    return r.pick([
      'latest',
      '1.0',
      '../x',
      'v1.0.0',
      '01.0.0',
      '1.0.0-',
      ' 1.0.0',
      'constructor',
      '__proto__',
    ]);
  let v = `${r.int(3)}.${r.int(4)}.${r.int(5)}`;
  if (r.chance(0.2))
    v += `-${r.pick(['beta', 'rc', 'alpha.1', '0', 'x-y'])}${r.chance(0.5) ? `.${r.int(3)}` : ''}`;
  if (r.chance(0.05)) v += `+${r.pick(['build', 'sha.abc', '001'])}`;
  return v;
}

function entry(r: Rng, name: string, version: string): Value {
  if (r.chance(0.03)) return r.pick<Value>([null, 'x', [1], 5]);
  const e: Record<string, Value> = {};
  if (!r.chance(0.03)) e.name = r.chance(0.04) ? r.pick<Value>(['other', null, 7]) : name;
  e.version = r.chance(0.04) ? r.pick<Value>(['9.9.9', 1, null]) : version;
  if (r.chance(0.5)) e.description = randomText(r);
  if (r.chance(0.4)) e.dependencies = { a: '^1.0.0', [randomText(r)]: '*' };
  if (r.chance(0.3)) {
    const scripts: Record<string, Value> = {};
    for (const s of ['preinstall', 'install', 'postinstall', 'test']) {
      if (r.chance(0.4))
        scripts[s] = r.chance(0.85) ? `node ${randomText(r)}` : r.pick<Value>([1, null, ['x']]);
    }
    e.scripts = r.chance(0.05) ? 'not an object' : scripts;
  }
  if (r.chance(0.15)) e.hasInstallScript = r.pick<Value>([true, false, 'true', 1]);
  if (!r.chance(0.05)) {
    const dist: Record<string, Value> = {
      tarball: `http://x/${name}/-/${name}-${version}.tgz`,
      integrity: r.chance(0.05) ? r.pick<Value>([7, 'x'.repeat(450)]) : `sha512-${randomText(r)}==`,
    };
    if (r.chance(0.4))
      dist.attestations = r.chance(0.9)
        ? { url: 'u', provenance: { predicateType: 'p' } }
        : r.pick<Value>([[], null, 'x']);
    e.dist = r.chance(0.03) ? 'nope' : dist;
  }
  if (r.chance(0.3)) e[randomText(r)] = nested(r, 0);
  return e;
}

/** An object's text with some keys given twice (JSON.parse keeps the last value, at the first place). */
function withDuplicates(r: Rng, members: Array<[string, Value]>): Raw {
  const out: Array<[string, Value]> = [];
  for (const m of members) {
    if (r.chance(0.06)) out.push([m[0], r.chance(0.5) ? m[1] : nested(r, 2)]);
    out.push(m);
  }
  return new Raw(`{${out.map(([k, v]) => `${ws(r)}${str(r, k)}${ws(r)}:${ws(r)}${write(r, v)}`).join(',')}}`);
}

/** A packument's text for `name`, its versions published up to 400 days before `now`. */
export function randomPackument(r: Rng, name: string, now: number): string {
  const versions: Array<[string, Value]> = [];
  const time: Array<[string, Value]> = [['created', new Date(now - 400 * DAY).toISOString()]];
  for (let i = r.int(25) + 1; i > 0; i--) {
    const v = randomVersion(r);
    versions.push([v, entry(r, name, v)]);
    if (!r.chance(0.05)) {
      const age = r.pick([0.1, 2, 6.9, 7.1, 30, 400]) * DAY;
      time.push([
        v,
        r.chance(0.04) ? r.pick<Value>(['not a date', 5, null]) : new Date(now - age).toISOString(),
      ]);
    }
  }
  const tags: Record<string, Value> = {};
  if (versions.length > 0) tags.latest = (versions.at(-1) as [string, Value])[0];
  if (r.chance(0.4)) tags.next = randomVersion(r);
  // An own "__proto__" tag (an assignment would set the prototype, or nothing).
  if (r.chance(0.1))
    Object.defineProperty(tags, '__proto__', { value: randomVersion(r), enumerable: true, writable: true });
  const top: Array<[string, Value]> = [
    ['_id', name],
    ['name', r.chance(0.03) ? 'someone-else' : name],
  ];
  if (!r.chance(0.05)) top.push(['dist-tags', r.chance(0.05) ? 'x' : tags]);
  top.push(['versions', r.chance(0.02) ? [] : withDuplicates(r, versions)]);
  if (!r.chance(0.1)) top.push(['time', r.chance(0.05) ? 'x' : withDuplicates(r, time)]);
  if (r.chance(0.3)) top.push(['readme', randomText(r)], ['__proto__', { polluted: true }]);
  if (r.chance(0.2)) top.push([randomText(r), nested(r, 0)]);
  return `${ws(r)}${write(r, withDuplicates(r, top))}${ws(r)}`;
}
