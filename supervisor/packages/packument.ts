// A packument (the JSON document npm reads to resolve a name) judged and rewritten: every
// version the rules refuse is removed from `versions` and `time`, and each dist-tag pointing
// at a removed version is moved (`latest` to the newest remaining release) or dropped, so npm
// resolves an older version instead of failing. Both forms are read: the full document
// (`time`, `scripts`) and the abbreviated one (`application/vnd.npm.install-v1+json`,
// `hasInstallScript`). The document is not rebuilt: one strict pass over its bytes
// (packument-read.ts) finds the entries, and the answer is the same bytes with the removed
// entries left out and `dist-tags` written again (packument-write.ts; `provenance: prefer`
// in provenance.ts). Every key of the document, `versions` and
// `time` is written once (the last of duplicates, which is what JSON.parse and so npm keep),
// so a duplicate key cannot mean one thing here and another to npm.

import semver from 'semver';
import { JsonScanError } from './json-scan.ts';
import {
  type EntryFacts,
  integrityOf,
  type ReadPackument,
  readPackument,
  SCRIPT_BITS,
  timeMillis,
} from './packument-read.ts';
import { writePackument } from './packument-write.ts';
import { preferProvenance, preferredWhy } from './provenance.ts';
import type { NpmRules, VersionFacts } from './rules.ts';

/** A packument whose versions map is larger than this is refused (npm's largest have ~10,000). */
export const MAX_VERSIONS = 50_000;
const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall'] as const;

/** What is kept of one version for the tarball requests that follow (and the audit). */
export interface VersionInfo {
  publishedAt?: Date;
  installScripts: string[];
  attested: boolean;
  integrity?: string;
  /**
   * Removed by `provenance: prefer`: the attested release preferred to it. Its tarball is
   * still allowed (a lockfile's), and the record and any card say which was preferred.
   */
  preferred?: string;
}

export interface Removed {
  version: string;
  why: string;
  rule: string;
  publishedAt?: Date;
}

export type Rewritten =
  | {
      ok: true;
      /**
       * The packument the agent receives, as pieces to send in order: ranges of the bytes
       * read (no copy) and the few bytes written again. One piece, the very bytes read, when
       * nothing changed.
       */
      chunks: Buffer[];
      /** Their total length. */
      size: number;
      /** The packument in one buffer (joined when asked; the proxy sends `chunks`). */
      readonly body: Buffer;
      removed: Removed[];
      kept: number;
      versions: Map<string, VersionInfo>;
    }
  | { ok: false; reason: string };

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Read one version's entry (null: not a usable entry). */
export function versionInfo(entry: unknown, time: unknown): VersionInfo | null {
  if (!isObject(entry)) return null;
  const scripts = isObject(entry.scripts) ? entry.scripts : null;
  const installScripts: string[] = scripts
    ? INSTALL_SCRIPTS.filter((s) => typeof scripts[s] === 'string')
    : [];
  if (installScripts.length === 0 && entry.hasInstallScript === true)
    installScripts.push('an install script');
  const dist = isObject(entry.dist) ? entry.dist : null;
  const info: VersionInfo = { installScripts, attested: dist !== null && isObject(dist.attestations) };
  if (dist && typeof dist.integrity === 'string' && dist.integrity.length < 400)
    info.integrity = dist.integrity;
  if (typeof time === 'string') {
    const at = new Date(time);
    if (!Number.isNaN(at.getTime())) info.publishedAt = at;
  }
  return info;
}

export function factsOf(name: string, version: string, info: VersionInfo): VersionFacts {
  return {
    name,
    version,
    installScripts: info.installScripts,
    attested: info.attested,
    ...(info.publishedAt ? { publishedAt: info.publishedAt } : {}),
  };
}

// semver's own strict form (what semver.valid accepts without `loose`), as one regex: a
// version key is checked without building a SemVer object for each of thousands.
const NUM = '(0|[1-9]\\d*)';
const PRE = '(?:0|[1-9]\\d*|\\d*[a-zA-Z-][a-zA-Z0-9-]*)';
const STRICT_SEMVER = new RegExp(
  `^${NUM}\\.${NUM}\\.${NUM}(?:-${PRE}(?:\\.${PRE})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);

/** Is `v` a version exactly as semver.valid would give it back? */
export function isStrictVersion(v: string): boolean {
  if (v.length > 256 || !STRICT_SEMVER.test(v)) return false;
  return semver.valid(v) === v || false;
}

/** A valid version key's major, minor and patch, and whether it is a release (null: past 2^53). */
interface Core {
  nums: [number, number, number];
  release: boolean;
}

/** Of a key STRICT_SEMVER accepted: its three numbers (digits then a dot, twice, then digits). */
function coreOf(key: string): Core | null {
  const nums: [number, number, number] = [0, 0, 0];
  let i = 0;
  for (let part = 0; part < 3; part++) {
    let n = 0;
    for (let c = key.charCodeAt(i); c >= 0x30 && c <= 0x39; c = key.charCodeAt(++i)) n = n * 10 + (c - 0x30);
    if (!Number.isSafeInteger(n)) return null;
    nums[part] = n;
    i++;
  }
  // After the patch number: the end, a build (`+`, not a prerelease) or a prerelease (`-`).
  return { nums, release: i > key.length || key.charCodeAt(i - 1) === 0x2b };
}

function compareCore(a: Core, b: Core): number {
  return a.nums[0] - b.nums[0] || a.nums[1] - b.nums[1] || a.nums[2] - b.nums[2];
}

/** The newest of `kept`, a release when there is one (semver order; the first of equals). */
function newest(kept: string[]): string | undefined {
  let best: string | undefined;
  let bestCore: Core | undefined;
  for (const v of kept) {
    const c = coreOf(v) as Core;
    if (c.release && (!bestCore || compareCore(c, bestCore) > 0)) {
      best = v;
      bestCore = c;
    }
  }
  if (best) return best;
  // The key itself, not semver's form of it (which drops build metadata npm needs to find it).
  let bestPre: [string, semver.SemVer] | undefined;
  for (const v of kept) {
    const parsed = new semver.SemVer(v);
    if (!bestPre || parsed.compare(bestPre[1]) > 0) bestPre = [v, parsed];
  }
  return bestPre?.[0];
}

/** The install scripts of the (many) versions with none: one array, never changed. */
const NO_SCRIPTS = Object.freeze([]) as unknown as string[];

function infoOf(body: Buffer, e: EntryFacts, time: number | undefined): VersionInfo {
  let installScripts = NO_SCRIPTS;
  if (e.scripts !== 0 || e.hasInstallScript) {
    installScripts = [];
    for (const [script, bit] of SCRIPT_BITS) if (e.scripts & bit) installScripts.push(script);
    if (installScripts.length === 0) installScripts.push('an install script');
  }
  const info: VersionInfo = { installScripts, attested: e.attested };
  const integrity = integrityOf(body, e);
  if (integrity !== undefined) info.integrity = integrity;
  if (time !== undefined && !Number.isNaN(time)) info.publishedAt = new Date(time);
  return info;
}

/**
 * Judge and rewrite a packument's bytes. `name` is the package the request named; the
 * document must be about it. Versions whose key is not valid semver, or whose entry names
 * another version or package, are removed. Bytes JSON.parse would refuse are refused.
 */
export function rewritePackument(body: Buffer, name: string, rules: NpmRules, now: number): Rewritten {
  let read: ReadPackument | null;
  try {
    read = readPackument(body, name);
  } catch (e) {
    if (!(e instanceof JsonScanError || e instanceof SyntaxError)) throw e;
    return { ok: false, reason: `the registry's packument of ${name} is not JSON (${e.message})` };
  }
  if (read === null || read.versions === null) {
    return { ok: false, reason: `the registry's answer for ${name} is not a packument (no versions map)` };
  }
  if (read.name !== name) {
    return { ok: false, reason: `the registry's packument for ${name} names another package` };
  }
  const versions = read.versions;
  if (versions.size > MAX_VERSIONS) {
    return {
      ok: false,
      reason: `the packument of ${name} lists ${versions.size} versions, more than the ${MAX_VERSIONS} Warden reads`,
    };
  }
  const time = read.time;
  const removed: Removed[] = [];
  const gone = new Set<string>();
  const keptNames: string[] = [];
  const infos = new Map<string, VersionInfo>();
  // One facts object judged for each version in turn (judge keeps nothing of it), of one
  // shape throughout (a property deleted would make each read of it slow).
  const facts: VersionFacts = {
    name,
    version: '',
    installScripts: [],
    attested: false,
    publishedAt: undefined,
    release: undefined,
  };
  for (const [version, entry] of versions) {
    const core =
      entry.object && version.length <= 256 && entry.versionOk && entry.nameOk && STRICT_SEMVER.test(version)
        ? coreOf(version)
        : null;
    if (!core) {
      removed.push({
        version: version.slice(0, 100),
        why: 'its entry is not a valid version of this package',
        rule: 'the proxy',
      });
      gone.add(version);
      continue;
    }
    const info = infoOf(body, entry, time ? timeMillis(body, time.get(version)) : undefined);
    facts.version = version;
    facts.installScripts = info.installScripts;
    facts.attested = info.attested;
    facts.publishedAt = info.publishedAt;
    facts.release = core.release ? core.nums : undefined;
    const verdict = rules.judge(facts, now);
    if (verdict.action === 'deny') {
      removed.push({
        version,
        why: verdict.why,
        rule: verdict.rule,
        ...(info.publishedAt ? { publishedAt: info.publishedAt } : {}),
      });
      gone.add(version);
      continue;
    }
    keptNames.push(version);
    infos.set(version, info);
  }
  let kept = keptNames;
  let preferredLatest: string | undefined;
  if (rules.provenance?.value === 'prefer' && keptNames.length > 0) {
    const pref = preferProvenance(keptNames, (v) => infos.get(v)?.attested === true);
    if (pref.removed.size > 0) {
      const where = rules.provenance.where;
      kept = keptNames.filter((v) => !pref.removed.has(v));
      for (const [version, standIn] of pref.removed) {
        const info = infos.get(version) as VersionInfo;
        info.preferred = standIn;
        const at = info.publishedAt;
        removed.push({
          version,
          why: preferredWhy(standIn),
          rule: where,
          ...(at ? { publishedAt: at } : {}),
        });
        gone.add(version);
      }
    }
    preferredLatest = pref.newest;
  }
  const isKept = (v: string) => infos.has(v) && !gone.has(v);
  const tags =
    removed.length > 0 || preferredLatest !== undefined
      ? fixTags(body, read, removed.length > 0, isKept, () => newest(kept), preferredLatest, infos)
      : undefined;
  const chunks = tags === undefined && !read.duplicates ? [body] : writePackument(body, read, gone, tags);
  return answer(chunks, removed, kept.length, infos);
}

function answer(
  chunks: Buffer[],
  removed: Removed[],
  kept: number,
  versions: Map<string, VersionInfo>,
): Rewritten {
  let size = 0;
  for (const c of chunks) size += c.length;
  return {
    ok: true,
    chunks,
    size,
    get body() {
      return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
    },
    removed,
    kept,
    versions,
  };
}

/**
 * `dist-tags` again: with versions removed, tags at them are dropped and `latest` moved to
 * the newest kept (`preferred`: the newest attested release, when provenance is preferred);
 * with none removed only `latest` may move. Undefined: the tags stay as they are.
 */
function fixTags(
  body: Buffer,
  read: ReadPackument,
  removedAny: boolean,
  isKept: (v: string) => boolean,
  newestKept: () => string | undefined,
  preferred: string | undefined,
  infos: Map<string, VersionInfo>,
): string | undefined {
  const member = read.top.get('dist-tags');
  const parsed: unknown = member ? JSON.parse(body.toString('utf8', member.valueStart, member.valueEnd)) : {};
  const tags: Record<string, unknown> =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  const movesTo = (latest: unknown) =>
    preferred !== undefined && !(typeof latest === 'string' && infos.get(latest)?.attested && isKept(latest))
      ? preferred
      : undefined;
  if (!removedAny) {
    const to = movesTo(tags.latest);
    if (to === undefined || to === tags.latest) return undefined;
    return JSON.stringify({ ...tags, latest: to });
  }
  const fixed: Record<string, unknown> = {};
  for (const [tag, v] of Object.entries(tags)) {
    if (typeof v === 'string' && isKept(v)) fixed[tag] = v;
  }
  const to = movesTo(fixed.latest);
  if (to !== undefined) fixed.latest = to;
  else if (fixed.latest === undefined) {
    const top = newestKept();
    if (top) fixed.latest = top;
  }
  return JSON.stringify(fixed);
}

/** "react@19.0.0 (published 2026-12-07T02:00:00.000Z): published 3 hours ago; this policy wants 7 days". */
export function describeRemoved(name: string, r: Removed): string {
  const at = r.publishedAt ? ` (published ${r.publishedAt.toISOString()})` : '';
  return `${name}@${r.version}${at}: ${r.why} [${r.rule}]`;
}
