// The one owner of policy layers: the organisation's (from the hub or a managed file), the
// base (persisted to $WARDEN_HOME/policy.yaml), each sandbox's project layer and its session
// layer (rules added by "always" answers). Every change is applied, re-resolved and announced
// here, with exactly one `policy.changed`. An edit that would weaken the organisation's layer
// is refused here (PolicyLockedByOrganisation), naming the organisation rule.

import { rename, writeFile } from 'node:fs/promises';
import { WardenError } from '../api/errors.ts';
import type { LayerName, PolicyDiff, RequestFacts, RuleSpec, WardenEvent } from '../api/index.ts';
import {
  diffPolicies,
  emptyPolicy,
  findConflicts,
  Policy,
  type PolicyLayer,
  parsePolicy,
  prependRule,
  refuseWeakening,
} from '../policy/index.ts';
import type { PolicyPair, ReplayPairs } from '../replay/index.ts';
import type { Sandbox } from './sandbox.ts';

/** The sandboxes whose layers this service changes. */
export interface SandboxLookup {
  get(sandboxId: string): Sandbox;
  list(): Sandbox[];
}

export interface PolicyLayersDeps {
  sandboxes: SandboxLookup;
  basePath: string;
  base?: PolicyLayer;
  organisation?: PolicyLayer;
  emit: (event: WardenEvent) => void;
}

export interface LayerChange {
  layer: 'base' | 'project';
  yaml: string;
  source?: string;
  /** The sandbox whose project layer changes (required for `project`). */
  sandboxId?: string;
  /** Compute the diff, change nothing. */
  dryRun?: boolean;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await rename(tmp, file);
}

export class PolicyLayers {
  readonly #deps: PolicyLayersDeps;
  #base?: PolicyLayer;
  #organisation?: PolicyLayer;

  constructor(deps: PolicyLayersDeps) {
    this.#deps = deps;
    this.#base = deps.base;
    this.#organisation = deps.organisation;
  }

  base(): PolicyLayer | undefined {
    return this.#base;
  }

  organisation(): PolicyLayer | undefined {
    return this.#organisation;
  }

  /** A sandbox's resolved policy, or the organisation's and the base alone. */
  resolved(sandboxId?: string): Policy {
    if (sandboxId) return this.#deps.sandboxes.get(sandboxId).policy();
    return Policy.resolve(this.#upper(this.#base));
  }

  /**
   * Enforce a new organisation layer (or none), fetched and verified by its caller, in every
   * sandbox at once. Lower-layer parts it contradicts are ignored from now on (the resolved
   * view lists them).
   */
  setOrganisation(layer: PolicyLayer | undefined, user: string): PolicyDiff {
    const before = this.resolved();
    this.#organisation = layer;
    for (const sandbox of this.#deps.sandboxes.list()) sandbox.refresh();
    const diff = diffPolicies(before, this.resolved());
    this.#announce({ user, layer: 'organisation', source: layer?.source ?? 'none', diff });
    return diff;
  }

  /** Throws PolicyLockedByOrganisation when `layer` would weaken the organisation's layer. */
  #refuseWeakening(layer: PolicyLayer, what: string): void {
    const org = this.#organisation;
    if (!org) return;
    const orgPolicy = Policy.resolve([org]);
    const conflicts = findConflicts(org, (f) => orgPolicy.decideRequest(f), layer);
    if (conflicts.length > 0) throw refuseWeakening(conflicts, what);
  }

  #upper(base: PolicyLayer | undefined): PolicyLayer[] {
    return [...(this.#organisation ? [this.#organisation] : []), ...(base ? [base] : [])];
  }

  /** The layer a change would put in place, parsed (PolicyInvalid when it does not parse). */
  #parseChange(change: LayerChange): PolicyLayer {
    const source =
      change.layer === 'base'
        ? this.#deps.basePath
        : (change.source ?? this.#sandboxFor(change).project?.source ?? '<api>');
    const parsed = parsePolicy(change.yaml, change.source ?? source);
    if (!parsed.ok) {
      throw new WardenError('PolicyInvalid', 'the policy is not valid; nothing was changed', undefined, {
        errors: parsed.errors,
      });
    }
    return { layer: change.layer, source, document: parsed.document, lines: parsed.lines };
  }

  /** Replace the base or a sandbox's project layer with a policy document (YAML). */
  async apply(change: LayerChange, user: string): Promise<{ applied: boolean; diff: PolicyDiff }> {
    const layer = this.#parseChange(change);
    const source = layer.source;
    this.#refuseWeakening(layer, `the ${change.layer} policy edit (${source})`);
    if (change.layer === 'base') {
      const diff = diffPolicies(this.resolved(), Policy.resolve(this.#upper(layer)));
      if (change.dryRun) return { applied: false, diff };
      await writeAtomic(this.#deps.basePath, change.yaml);
      this.#base = layer;
      for (const sandbox of this.#deps.sandboxes.list()) sandbox.refresh();
      this.#announce({ user, layer: 'base', source, diff });
      return { applied: true, diff };
    }
    const sandbox = this.#sandboxFor(change);
    const layers = [...sandbox.layers().filter((l) => l.layer !== 'project'), layer];
    const diff = diffPolicies(sandbox.policy(), Policy.resolve(layers));
    if (change.dryRun) return { applied: false, diff };
    sandbox.setProject(layer);
    this.#announce({ user, layer: 'project', source, diff, sandboxId: sandbox.identity.sandboxId });
    return { applied: true, diff };
  }

  /**
   * Add a rule to a sandbox's session layer (an "always" answer, `warden rule add`).
   * `example`, the request that asked, is shown first among the requests decided differently.
   */
  addSessionRule(sandboxId: string, rule: RuleSpec, user: string, example?: RequestFacts): PolicyDiff {
    this.#refuseSessionRule(rule);
    const sandbox = this.#deps.sandboxes.get(sandboxId);
    const [before, after] = sandbox.addSessionRule(rule);
    const diff = diffPolicies(before, after, example ? [example] : []);
    this.#announce({ user, layer: 'session', source: 'session', diff, sandboxId });
    return diff;
  }

  /** Remove a session rule (a revoked "always" answer); false when it was already gone. */
  removeSessionRule(sandboxId: string, rule: RuleSpec, user: string): boolean {
    const sandbox = this.#deps.sandboxes.get(sandboxId);
    const change = sandbox.removeSessionRule(rule);
    if (!change) return false;
    this.#announce({ user, layer: 'session', source: 'session', diff: diffPolicies(...change), sandboxId });
    return true;
  }

  /** The diff adding a session rule would make, changing nothing. */
  previewSessionRule(sandboxId: string, rule: RuleSpec, example?: RequestFacts): PolicyDiff {
    this.#refuseSessionRule(rule);
    const sandbox = this.#deps.sandboxes.get(sandboxId);
    const layers = sandbox
      .layers()
      .map((l) => (l.layer === 'session' ? { ...l, document: prependRule(sandbox.session, rule) } : l));
    return diffPolicies(sandbox.policy(), Policy.resolve(layers), example ? [example] : []);
  }

  /**
   * What-if replay of a layer edit, changing nothing: every sandbox's layers before and after
   * a new base (records of sandboxes gone since are judged by the organisation's and the
   * base alone), or one sandbox's before and after a new project layer (`sandbox` set).
   */
  replayLayerChange(change: LayerChange): { pairs: ReplayPairs; sandbox?: string } {
    const layer = this.#parseChange(change);
    const swap = (layers: PolicyLayer[]) =>
      layers.some((l) => l.layer === layer.layer)
        ? layers.map((l) => (l.layer === layer.layer ? layer : l))
        : [...layers, layer];
    if (change.layer === 'base') {
      const bySandbox: Record<string, PolicyPair> = {};
      for (const s of this.#deps.sandboxes.list()) {
        bySandbox[s.identity.sandboxId] = { before: s.layers(), after: swap(s.layers()) };
      }
      return { pairs: { all: { before: this.#upper(this.#base), after: this.#upper(layer) }, bySandbox } };
    }
    const sandbox = this.#sandboxFor(change);
    const id = sandbox.identity.sandboxId;
    return {
      pairs: { bySandbox: { [id]: { before: sandbox.layers(), after: swap(sandbox.layers()) } } },
      sandbox: id,
    };
  }

  /** What-if replay of a session rule (an "always" answer): the sandbox's layers without and with it. */
  replaySessionRule(sandboxId: string, rule: RuleSpec): PolicyPair {
    this.#refuseSessionRule(rule);
    const sandbox = this.#deps.sandboxes.get(sandboxId);
    const before = sandbox.layers();
    const after = before.map((l) =>
      l.layer === 'session' ? { ...l, document: prependRule(sandbox.session, rule) } : l,
    );
    return { before, after };
  }

  #refuseSessionRule(rule: RuleSpec): void {
    const document = emptyPolicy('session');
    document.spec.network = { rules: [rule] };
    this.#refuseWeakening(
      { layer: 'session', source: 'session', document },
      `the session rule (${JSON.stringify(rule.match)} ${rule.action})`,
    );
  }

  #sandboxFor(change: LayerChange): Sandbox {
    if (!change.sandboxId) throw new WardenError('BadRequest', 'the project layer needs a sandboxId');
    return this.#deps.sandboxes.get(change.sandboxId);
  }

  #announce(e: {
    user: string;
    layer: LayerName;
    source: string;
    diff: PolicyDiff;
    sandboxId?: string;
  }): void {
    this.#deps.emit({
      type: 'policy.changed',
      time: new Date().toISOString(),
      ...(e.sandboxId ? { sandboxId: e.sandboxId } : {}),
      user: e.user,
      layer: e.layer,
      source: e.source,
      diff: e.diff,
    });
  }
}
