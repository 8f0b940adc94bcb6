// Policy shapes that cross the API boundary: rule references, decisions, diffs and
// validation errors. The policy document itself is defined by its schema in
// supervisor/api/policy-schema.ts and re-exported from this folder's index.

export type Action = 'allow' | 'deny' | 'ask';

/**
 * The layers of a sandbox's policy, most specific first in the resolved view: session,
 * project, preset (`warden run --preset`, under the project file), base, and above them all
 * the organisation's (from the team hub or a managed file), which lower layers may only
 * narrow: its deny rules always win and its settings cannot be weakened.
 */
export type LayerName = 'organisation' | 'base' | 'preset' | 'project' | 'session';

/** Which rule decided, and where it came from. `null` rule in a Decision = the default. */
export interface RuleRef {
  layer: LayerName;
  /** File path the layer was loaded from, or `session` for run-time answers. */
  source: string;
  /** Zero-based position of the rule inside its layer. */
  index: number;
  /** 1-based line of the rule in its source file, when known. */
  line?: number;
  match: string;
  action: Action;
  methods?: string[];
  paths?: string[];
  /** Upgrade protocols besides WebSocket that requests this rule allows may switch to. */
  upgrades?: string[];
  /** `it`: an ask IT answers on the team hub, not the developer. */
  approver?: 'it';
  description?: string;
}

export interface Decision {
  action: Action;
  /** The rule that decided; null when the default action applied. */
  rule: RuleRef | null;
  /** One human sentence: why this outcome. */
  reason: string;
  /** Set when a rule wants TLS spliced without inspection. */
  tls?: 'inspect' | 'passthrough';
}

export type Scheme = 'http' | 'https' | 'ws' | 'wss';

/** What the policy needs to know about one request. Hosts are normalized by the policy module. */
export interface RequestFacts {
  scheme: Scheme;
  host: string;
  port: number;
  method: string;
  /** Path without query, dot-segments resolved. */
  path: string;
  /**
   * The query string without `?`, as the client sent it (absent or '' when none). Rules do
   * not match on it; approvals are keyed on it and show it, and the audit records it.
   */
  query?: string;
}

export interface PolicyErrorView {
  /** File path or a label such as `<api>`. */
  source: string;
  line: number;
  column: number;
  /** Field path such as `spec.network.rules[2].match`. */
  path: string;
  message: string;
}

export interface RuleChange {
  before: RuleRef;
  after: RuleRef;
  /** Names of the fields that differ (action, description, tls, upgrades). */
  fields: string[];
}

export interface OutcomeChange {
  request: RequestFacts;
  before: Decision;
  after: Decision;
}

export interface PolicyDiff {
  defaultChanged?: { before: Action; after: Action };
  timeoutChanged?: { before: number; after: number };
  added: RuleRef[];
  removed: RuleRef[];
  changed: RuleChange[];
  /** Rules present in both whose relative order changed. */
  reordered: Array<{ rule: RuleRef; beforeIndex: number; afterIndex: number }>;
  /** Example requests whose outcome differs between the two policies. */
  outcomeChanges: OutcomeChange[];
  /** True when nothing above is set. */
  empty: boolean;
}

/** One rule of the resolved view, most specific layer first. */
export interface ResolvedRuleView extends RuleRef {
  tls?: 'inspect' | 'passthrough';
}

export interface ResolvedPolicyView {
  rules: ResolvedRuleView[];
  defaultAction: Action;
  /** Which layer set the default (`builtin` when none did). */
  defaultSource: LayerName | 'builtin';
  approvalTimeoutSeconds: number;
  layers: Array<{ layer: LayerName; source: string; name: string; rules: number }>;
  /** What the organisation fixed, where from, and which lower-layer parts it overrides. */
  organisation?: OrganisationView;
}

/** Where the organisation layer came from. */
export interface OrganisationOrigin {
  kind: 'hub' | 'managed';
  /** `sha256:<hex>` of the exact policy bytes enforced. */
  hash: string;
  /** Who vouches for it: the hub key's id, or the managed file's owner (`root`). */
  signedBy: string;
  /** The hub's serial (increases with every `warden hub policy set`). */
  serial?: number;
  /** The hub group it was pushed to, when not all devices. */
  group?: string;
}

/** One part of a lower layer that the organisation policy overrides (ignored, with why). */
export interface OrganisationConflict {
  layer: LayerName;
  source: string;
  /** `spec.network.rules[2]`, `spec.network.default`, `spec.approvals.timeoutSeconds`. */
  path: string;
  /** The organisation rule or setting it would weaken. */
  organisationRule: string;
  /** One sentence: what it tried and why it cannot. */
  message: string;
}

export interface OrganisationView {
  source: string;
  origin?: OrganisationOrigin;
  /** Settings the organisation fixed (lower layers may only narrow them). */
  defaultAction?: Action;
  approvalTimeoutSeconds?: number;
  rules: number;
  /** Its other settings lower layers may only narrow, one short phrase each ("npm packages: …"). */
  settings?: string[];
  /** Parts of lower layers ignored because they would weaken it. */
  ignored: OrganisationConflict[];
}

/** `GET /v1/status` → organisation: the organisation policy this device enforces, and why not. */
export interface OrganisationStatus {
  /** The policy enforced, when any (the managed file wins over the hub's). */
  enforced?: { source: string; origin: OrganisationOrigin };
  /** Where the managed file is looked for (the last folder; the platform's comes first). */
  managedDir: string;
  /** A managed file or hub policy that exists but is not enforced, and why. */
  warnings: string[];
}
