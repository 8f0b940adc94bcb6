// How the replay judges one recorded request shape: the sandbox's policy before and after the
// change, each resolved once from its layers (Policy.resolve, as the daemon resolves a
// sandbox's), asked exactly as the proxy asks it: decideRequest for a request, decideConnect
// for a CONNECT tunnel. A shape differs when the two actions differ.

import type { RequestFacts, Scheme } from '../api/policy-types.ts';
import type { ReplayOutcome } from '../api/replay-types.ts';
import { Policy, type PolicyLayer } from '../policy/index.ts';

/** The layers of one policy before and after the change. */
export interface PolicyPair {
  before: PolicyLayer[];
  after: PolicyLayer[];
}

/** Which pair judges which sandbox's records: its own, else `all`; neither: not judged. */
export interface ReplayPairs {
  all?: PolicyPair;
  bySandbox?: Record<string, PolicyPair>;
}

/** A recorded shape, as the worker's query writes it: sandbox NUL host NUL [scheme,port,method,path]. */
export interface Shape {
  sandboxId: string | null;
  facts: RequestFacts;
}

const SCHEMES = new Set(['http', 'https', 'ws', 'wss']);

/** The shape behind a key, or null when the row was not a readable request (a legacy row). */
export function parseShapeKey(key: string): Shape | null {
  const a = key.indexOf('\u0000');
  const b = a < 0 ? -1 : key.indexOf('\u0000', a + 1);
  if (b < 0) return null;
  let fields: unknown;
  try {
    fields = JSON.parse(key.slice(b + 1));
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields.length !== 4) return null;
  const [scheme, port, method, path] = fields as unknown[];
  if (typeof scheme !== 'string' || !SCHEMES.has(scheme)) return null;
  if (typeof port !== 'number' || typeof method !== 'string' || typeof path !== 'string') return null;
  const host = key.slice(a + 1, b);
  if (host === '') return null;
  const sandbox = key.slice(0, a);
  return {
    sandboxId: sandbox === '' ? null : sandbox,
    facts: { scheme: scheme as Scheme, host, port, method, path },
  };
}

/** How `policy` decides the shape, as the proxy would. */
export function outcomeOf(policy: Policy, facts: RequestFacts): ReplayOutcome {
  if (facts.method === 'CONNECT') {
    const d = policy.decideConnect(facts.host, facts.port);
    if ('needsRequest' in d) return { action: 'tunnel', rule: null, reason: d.reason };
    return { action: d.action, rule: d.rule, reason: d.reason };
  }
  const d = policy.decideRequest(facts);
  return { action: d.action, rule: d.rule, reason: d.reason };
}

interface Resolved {
  before: Policy;
  after: Policy;
}

/** Decides shapes with the pair of their sandbox; each pair is resolved once, on first use. */
export class PairDecider {
  readonly #pairs: ReplayPairs;
  readonly #resolved = new Map<string, Resolved | null>();

  constructor(pairs: ReplayPairs) {
    this.#pairs = pairs;
  }

  #policies(sandboxId: string | null): Resolved | null {
    const key = sandboxId ?? '';
    if (this.#resolved.has(key)) return this.#resolved.get(key) ?? null;
    const pair = (sandboxId !== null ? this.#pairs.bySandbox?.[sandboxId] : undefined) ?? this.#pairs.all;
    const resolved = pair ? { before: Policy.resolve(pair.before), after: Policy.resolve(pair.after) } : null;
    this.#resolved.set(key, resolved);
    return resolved;
  }

  /** The two outcomes when they differ; null when they agree or the sandbox is not judged. */
  differs(shape: Shape): { before: ReplayOutcome; after: ReplayOutcome } | null {
    const policies = this.#policies(shape.sandboxId);
    if (!policies) return null;
    const before = outcomeOf(policies.before, shape.facts);
    const after = outcomeOf(policies.after, shape.facts);
    return before.action === after.action ? null : { before, after };
  }
}
