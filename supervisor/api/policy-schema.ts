// The policy document's shape, written once: the TypeScript types, the validator and the
// published JSON Schema (policy.schema.json, for editors) all come from these definitions.

import { type Static, Type } from '@sinclair/typebox';
import { McpSpecSchema } from './mcp-schema.ts';
import { PackagesSpecSchema } from './packages-schema.ts';
import { RedactSpecSchema } from './redact-schema.ts';

export const POLICY_API_VERSION = 'warden.dev/v1';
export const POLICY_SCHEMA_ID = 'https://warden.dev/schemas/policy-v1.json';

/** A closed set of strings as a JSON Schema `enum` (one clear validation error, unlike anyOf of consts). */
function StringEnum<const T extends readonly string[]>(values: T, options: { description: string }) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const ACTIONS = ['allow', 'deny', 'ask'] as const;

/** An Upgrade protocol (RFC 9110 §7.8): a token, optionally `/` and a version token (h2c, TLS/1.2). */
export const UPGRADE_PROTOCOL_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+(/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$";

const ActionSchema = StringEnum(ACTIONS, {
  description: 'allow: let it through; deny: block it; ask: hold it until a human answers.',
});

/** Who answers an `ask`: `it` sends it to IT's inbox on the team hub (the developer cannot answer). */
export const APPROVERS = ['it'] as const;
export type Approver = (typeof APPROVERS)[number];

export const ApproverSchema = StringEnum(APPROVERS, {
  description:
    "With action ask: it: IT answers on the team hub's Approvals page, not the developer; the device holds " +
    "the request until the hub's answer or the approval timeout (denied). Needs a device enrolled with a hub.",
});

export const RuleSpecSchema = Type.Object(
  {
    match: Type.String({
      minLength: 1,
      description:
        'Destination: host (api.github.com), *.host (one label), **.host (any depth), * (any host), ' +
        'IPv4/IPv6 address or CIDR; optionally prefixed by scheme:// and suffixed by :port.',
    }),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z]+$' }), {
        minItems: 1,
        uniqueItems: true,
        description: 'HTTP methods this rule applies to (any when absent).',
      }),
    ),
    paths: Type.Optional(
      Type.Array(Type.String({ pattern: '^/' }), {
        minItems: 1,
        description: 'Path globs: * within a segment, ** across segments, ? one character.',
      }),
    ),
    action: ActionSchema,
    approver: Type.Optional(ApproverSchema),
    description: Type.Optional(
      Type.String({ description: 'Why this rule exists; shown in approvals and audit.' }),
    ),
    tls: Type.Optional(
      StringEnum(['inspect', 'passthrough'], {
        description:
          'inspect: terminate TLS so methods, paths and secrets can be handled; passthrough: splice the tunnel unread.',
      }),
    ),
    upgrades: Type.Optional(
      Type.Array(Type.String({ pattern: UPGRADE_PROTOCOL_PATTERN }), {
        minItems: 1,
        uniqueItems: true,
        description:
          'Upgrade protocols besides WebSocket (h2c, TLS/1.2; a bare name covers every version) that requests this rule ' +
          'allows may switch to. After the 101 the connection is spliced unread; without this field only WebSocket upgrades are.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** How the proxy reaches one upstream server over TLS, instead of the system's trust. */
export const UpstreamSpecSchema = Type.Object(
  {
    match: Type.String({
      minLength: 1,
      maxLength: 300,
      description:
        'The upstream server as host:port (a name or an IP address, no wildcard): a Kubernetes API server, a private registry.',
    }),
    ca: Type.String({
      minLength: 1,
      maxLength: 200_000,
      description:
        "PEM certificates that alone are trusted for this server (a cluster's certificate-authority-data); the system store is not consulted. " +
        'Tunnels to it are always intercepted, so the proxy checks the server itself.',
    }),
    clientCertificate: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z_][A-Za-z0-9_.-]{0,63}$',
        description:
          'The name of a Warden secret (inject: tls-client, bound to this host) whose certificate and key the proxy presents to the server; the sandbox must be granted it.',
      }),
    ),
  },
  { additionalProperties: false },
);

const PriceSchema = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The start of the model names this price is for (the longest match wins).',
    }),
    input: Type.Number({ minimum: 0, description: 'US dollars per million input tokens.' }),
    output: Type.Number({ minimum: 0, description: 'US dollars per million output tokens.' }),
    cacheRead: Type.Optional(
      Type.Number({ minimum: 0, description: 'Per million cached input tokens read (default: input).' }),
    ),
    cacheWrite: Type.Optional(
      Type.Number({ minimum: 0, description: 'Per million tokens written to the cache (default: input).' }),
    ),
  },
  { additionalProperties: false },
);

export const BudgetLimitSchema = Type.Object(
  {
    per: Type.Union([Type.Literal('day'), Type.Literal('month')], {
      description: 'The UTC day or month the limit is of.',
    }),
    tokens: Type.Optional(Type.Integer({ minimum: 0, description: 'All tokens (input, output, cache).' })),
    usd: Type.Optional(Type.Number({ minimum: 0, description: 'Cost in US dollars from the price table.' })),
    action: Type.Optional(
      Type.Union([Type.Literal('deny'), Type.Literal('ask')], {
        description:
          "At the limit: deny (default) answers model API requests with a 429 in the provider's own error shape; ask holds each one as an approval (allowed once, or denied with that 429).",
      }),
    ),
  },
  { additionalProperties: false },
);

const BudgetsSchema = Type.Object(
  {
    hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        maxItems: 64,
        description:
          'Model API hosts besides api.anthropic.com and api.openai.com (a gateway, a stand-in): their answers are metered.',
      }),
    ),
    limits: Type.Optional(Type.Array(BudgetLimitSchema, { maxItems: 16 })),
    prices: Type.Optional(Type.Array(PriceSchema, { maxItems: 256 })),
  },
  { additionalProperties: false },
);

/** The reviewer hook set in policy (the organisation's cannot be removed by a lower layer). */
export const ReviewerSpecSchema = Type.Object(
  {
    command: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
        minItems: 1,
        maxItems: 64,
        description: 'A program and its arguments (no shell) that answers each approval first.',
      }),
    ),
    url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description: 'A webhook (HTTPS, or HTTP on loopback) that answers each approval first.',
      }),
    ),
    deadlineSeconds: Type.Optional(
      Type.Number({
        minimum: 0.1,
        maximum: 120,
        description: 'How long the hook has to answer before the approval is denied (default 10).',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'A command or a webhook (exactly one) that sees each approval before a human: allow, deny or ask; it fails closed.',
  },
);

export const PolicyDocumentSchema = Type.Object(
  {
    apiVersion: Type.Literal(POLICY_API_VERSION),
    kind: Type.Literal('Policy'),
    metadata: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 253 }),
        description: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    spec: Type.Object(
      {
        network: Type.Optional(
          Type.Object(
            {
              default: Type.Optional(ActionSchema),
              rules: Type.Optional(Type.Array(RuleSpecSchema)),
              upstreams: Type.Optional(Type.Array(UpstreamSpecSchema, { maxItems: 200 })),
            },
            { additionalProperties: false },
          ),
        ),
        mcp: Type.Optional(McpSpecSchema),
        packages: Type.Optional(PackagesSpecSchema),
        approvals: Type.Optional(
          Type.Object(
            {
              timeoutSeconds: Type.Optional(
                Type.Integer({
                  minimum: 1,
                  maximum: 86400,
                  description: 'Unanswered approvals are denied after this.',
                }),
              ),
              reviewer: Type.Optional(ReviewerSpecSchema),
            },
            { additionalProperties: false },
          ),
        ),
        budgets: Type.Optional(BudgetsSchema),
        redact: Type.Optional(RedactSpecSchema),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false, $id: POLICY_SCHEMA_ID, title: 'Warden policy' },
);

export type RuleSpec = Static<typeof RuleSpecSchema>;
export type UpstreamSpec = Static<typeof UpstreamSpecSchema>;
export type PolicyDocument = Static<typeof PolicyDocumentSchema>;
export type BudgetsSpec = Static<typeof BudgetsSchema>;
export type BudgetLimit = Static<typeof BudgetLimitSchema>;
export type ReviewerSpec = Static<typeof ReviewerSpecSchema>;
