// The daemon's package governance: which requests are npm registry requests a policy governs,
// what the packuments said about each version, and which names this device has fetched before.

import type { PackageHoldView, PackageRef, RequestFacts } from '../api/index.ts';
import type { Policy } from '../policy/index.ts';
import { VersionCache } from './cache.ts';
import { type NpmRequest, readNpmPath } from './npm-path.ts';
import { factsOf, type VersionInfo } from './packument.ts';
import { type NpmRules, npmRulesOf, type VersionVerdict } from './rules.ts';
import { SeenPackages } from './seen.ts';

/** An npm registry request, decoded. */
export interface NpmOpening {
  rules: NpmRules;
  /** The registry host (and port when not the default). */
  registry: string;
  request: NpmRequest;
}

export interface PackageServiceOptions {
  /** Where the names fetched before are kept (absent: memory only). */
  seenFile?: string;
  now?: () => number;
}

export class PackageService {
  readonly cache = new VersionCache();
  readonly seen: SeenPackages;
  readonly now: () => number;

  constructor(opts: PackageServiceOptions = {}) {
    this.seen = new SeenPackages(opts.seenFile);
    this.now = opts.now ?? Date.now;
  }

  /** The request decoded when it is a GET to a host the policy marks as an npm registry. */
  open(policy: Policy, facts: RequestFacts): NpmOpening | undefined {
    if (facts.method.toUpperCase() !== 'GET') return undefined;
    const rules = npmRulesOf(policy);
    if (!rules.present || !rules.isRegistry(facts.host, facts.port)) return undefined;
    const request = readNpmPath(facts.path);
    if (!request) return undefined;
    const defaultPort = facts.scheme === 'https' ? 443 : 80;
    const registry = facts.port === defaultPort ? facts.host : `${facts.host}:${facts.port}`;
    return { rules, registry, request };
  }

  /** What the rules say about a tarball's version (`info`: its packument entry, if known). */
  judgeTarball(o: NpmOpening, name: string, version: string, info: VersionInfo): VersionVerdict {
    if (!o.rules.governs) return { action: 'allow' };
    return o.rules.judge(factsOf(name, version, info), this.now(), () => this.seen.has('npm', name));
  }

  /** A tarball was relayed to its end: the name is now known on this device. */
  fetched(name: string): void {
    this.seen.add('npm', name);
  }
}

export function packageRef(
  name: string,
  version: string,
  info?: VersionInfo,
  integrity?: string,
): PackageRef {
  const ref: PackageRef = { ecosystem: 'npm', name, version };
  const i = integrity ?? info?.integrity;
  if (i) ref.integrity = i;
  if (info?.publishedAt) ref.publishedAt = info.publishedAt.toISOString();
  return ref;
}

export function holdView(ref: PackageRef, registry: string, why: string): PackageHoldView {
  const { integrity: _, ...rest } = ref;
  return { ...rest, registry, why };
}

/** "lodash@4.17.21 (published 2026-12-07T02:00:00.000Z)". */
export function describeVersion(ref: PackageRef): string {
  return `${ref.name}@${ref.version}${ref.publishedAt ? ` (published ${ref.publishedAt})` : ''}`;
}

/** The registry path of a packument: `/name` or `/@scope%2fname`. */
export function packumentPath(name: string): string {
  return `/${name.replace('/', '%2f')}`;
}
