// Request bodies of the local API as schemas: the server validates every body against
// them, and their TypeScript types are derived from the same definitions.

import { type Static, Type } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

const RuleInput = Type.Object(
  {
    match: Type.String({ minLength: 1, maxLength: 300 }),
    methods: Type.Optional(
      Type.Array(Type.String({ pattern: '^[A-Za-z]+$' }), { minItems: 1, maxItems: 20 }),
    ),
    paths: Type.Optional(
      Type.Array(Type.String({ pattern: '^/', maxLength: 2000 }), { minItems: 1, maxItems: 50 }),
    ),
  },
  strict,
);

export const CreateListenerRequestSchema = Type.Object(
  {
    label: Type.Optional(Type.String({ maxLength: 100 })),
    policy: Type.Optional(
      Type.Object({ yaml: Type.String({ maxLength: 1_000_000 }), source: Type.String() }, strict),
    ),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    secrets: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
    user: Type.Optional(Type.String({ maxLength: 100 })),
  },
  strict,
);

export const InjectModeSchema = Type.Union([
  Type.Literal('bearer'),
  Type.Literal('basic'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeBox template-literal syntax
  Type.TemplateLiteral('header:${string}'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeBox template-literal syntax
  Type.TemplateLiteral('query:${string}'),
]);

export const PutSecretRequestSchema = Type.Object(
  {
    value: Type.String({ minLength: 1, maxLength: 65536 }),
    hosts: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 100 }),
    inject: Type.String({ pattern: "^(bearer|basic|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|query:[^&=#\\s]+)$" }),
  },
  strict,
);

export const AnswerApprovalRequestSchema = Type.Object(
  {
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    scope: Type.Union([Type.Literal('once'), Type.Literal('always')]),
    rule: Type.Optional(RuleInput),
  },
  strict,
);

export const ValidatePolicyRequestSchema = Type.Object(
  { yaml: Type.String({ maxLength: 1_000_000 }), source: Type.Optional(Type.String()) },
  strict,
);

export const ApplyPolicyRequestSchema = Type.Object(
  {
    layer: Type.Union([Type.Literal('base'), Type.Literal('project')]),
    sandboxId: Type.Optional(Type.String()),
    yaml: Type.String({ maxLength: 1_000_000 }),
    source: Type.Optional(Type.String()),
    dryRun: Type.Optional(Type.Boolean()),
  },
  strict,
);

export const AddRuleRequestSchema = Type.Object(
  { rule: RuleInput, action: Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('ask')]) },
  strict,
);

export type CreateListenerRequest = Static<typeof CreateListenerRequestSchema>;
export type PutSecretRequest = Omit<Static<typeof PutSecretRequestSchema>, 'inject'> & {
  inject: Static<typeof InjectModeSchema>;
};
export type AnswerApprovalRequest = Static<typeof AnswerApprovalRequestSchema>;
export type ValidatePolicyRequest = Static<typeof ValidatePolicyRequestSchema>;
export type ApplyPolicyRequest = Static<typeof ApplyPolicyRequestSchema>;
export type AddRuleRequest = Static<typeof AddRuleRequestSchema>;
export type InjectMode = Static<typeof InjectModeSchema>;
