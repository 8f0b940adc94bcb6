// The `spec.redact` part of the policy document: what is masked or blocked in request bodies
// sent to model API hosts. Part of the policy schema (policy-schema.ts).

import { type Static, Type } from '@sinclair/typebox';

/** The built-in detectors, by name. */
export const REDACT_DETECTORS = ['vault', 'cloud-keys', 'tokens', 'private-keys', 'email'] as const;
export type RedactDetector = (typeof REDACT_DETECTORS)[number];

export const REDACT_ACTIONS = ['mask', 'block'] as const;
export type RedactAction = (typeof REDACT_ACTIONS)[number];

/** A custom rule's name: it becomes part of the mask (`[REDACTED:NAME:…]`) and of the audit counts. */
export const REDACT_NAME_PATTERN = '^[a-z][a-z0-9-]{0,31}$';
/** Longest custom pattern accepted. */
export const MAX_REDACT_PATTERN = 500;

export const RedactRuleSchema = Type.Object(
  {
    detector: Type.Optional(
      Type.Unsafe<RedactDetector>({
        type: 'string',
        enum: [...REDACT_DETECTORS],
        description:
          'A built-in detector: vault (the values of the vault and placeholders), cloud-keys (AWS, GCP, Azure), ' +
          'tokens (GitHub, GitLab, Slack, Stripe, npm, JWT), private-keys (PEM blocks), email.',
      }),
    ),
    name: Type.Optional(
      Type.String({
        pattern: REDACT_NAME_PATTERN,
        description: 'The name of a custom rule (with pattern): shown in masks and audit counts.',
      }),
    ),
    pattern: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: MAX_REDACT_PATTERN,
        description:
          'A custom regular expression (ASCII; no backreferences or lookarounds: it must run in linear time). ' +
          'Matched against the decoded text of each JSON string, or the body as text.',
      }),
    ),
    maxLength: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 4096,
        description:
          'The longest match of the custom pattern (default 256); longer matches are not found whole.',
      }),
    ),
    action: Type.Unsafe<RedactAction>({
      type: 'string',
      enum: [...REDACT_ACTIONS],
      description:
        "mask: replace each match with [REDACTED:NAME:tag] (tag stable per value in the sandbox); block: refuse the request in the provider's error shape.",
    }),
    description: Type.Optional(Type.String({ description: 'Why this rule exists.' })),
  },
  { additionalProperties: false },
);

export const RedactSpecSchema = Type.Object(
  {
    hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        maxItems: 64,
        description:
          'Model API hosts besides api.anthropic.com and api.openai.com (and spec.budgets.hosts) whose request bodies are redacted.',
      }),
    ),
    rules: Type.Optional(Type.Array(RedactRuleSchema, { maxItems: 64 })),
  },
  { additionalProperties: false },
);

export type RedactRuleSpec = Static<typeof RedactRuleSchema>;
export type RedactSpec = Static<typeof RedactSpecSchema>;
