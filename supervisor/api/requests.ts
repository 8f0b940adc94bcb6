// Request bodies of the local API as schemas: the server validates every body against
// them, and their TypeScript types are derived from the same definitions.

import { type Static, Type } from '@sinclair/typebox';

const strict = { additionalProperties: false } as const;

export const RuleInput = Type.Object(
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

/** A host sandbox's fields: a governed proxy listener for a process on the host. */
const hostSandboxFields = {
  label: Type.Optional(Type.String({ maxLength: 100 })),
  policy: Type.Optional(
    Type.Object({ yaml: Type.String({ maxLength: 1_000_000 }), source: Type.String() }, strict),
  ),
  /** A preset's policy: a layer under `policy` (its rules and default count where the project's do not). */
  preset: Type.Optional(
    Type.Object({ yaml: Type.String({ maxLength: 1_000_000 }), source: Type.String() }, strict),
  ),
  port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  secrets: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
  user: Type.Optional(Type.String({ maxLength: 100 })),
};

/** `POST /v1/sandboxes` with `kind: 'host'`. */
export const CreateHostSandboxRequestSchema = Type.Object(
  { kind: Type.Literal('host'), ...hostSandboxFields },
  strict,
);

/** @deprecated The body of `POST /v1/listeners`: use `POST /v1/sandboxes` with `kind: 'host'`. */
export const CreateListenerRequestSchema = Type.Object(hostSandboxFields, strict);

export const InjectModeSchema = Type.Union([
  Type.Literal('bearer'),
  Type.Literal('basic'),
  /** A client certificate and key the proxy presents to the bound hosts (mutual TLS); never in a request. */
  Type.Literal('tls-client'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeBox template-literal syntax
  Type.TemplateLiteral('header:${string}'),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeBox template-literal syntax
  Type.TemplateLiteral('query:${string}'),
]);

export const PutSecretRequestSchema = Type.Object(
  {
    value: Type.String({ minLength: 1, maxLength: 65536 }),
    hosts: Type.Array(Type.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 100 }),
    inject: Type.String({
      pattern: "^(bearer|basic|tls-client|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+|query:[^&=#\\s]+)$",
    }),
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

/** What an answer would change, without answering (the UI's "Always" preview). */
export const PreviewApprovalRequestSchema = Type.Object(
  { decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]), rule: Type.Optional(RuleInput) },
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

/** `POST /v1/sandboxes` for a microVM (`kind` may be left out: `vm` is the default). */
export const CreateVmSandboxRequestSchema = Type.Object(
  {
    kind: Type.Optional(Type.Literal('vm')),
    label: Type.Optional(Type.String({ maxLength: 100 })),
    policy: Type.Optional(
      Type.Object({ yaml: Type.String({ maxLength: 1_000_000 }), source: Type.String() }, strict),
    ),
    /** A preset's policy: a layer under `policy`. */
    preset: Type.Optional(
      Type.Object({ yaml: Type.String({ maxLength: 1_000_000 }), source: Type.String() }, strict),
    ),
    secrets: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
    user: Type.Optional(Type.String({ maxLength: 100 })),
    /** Image id (or a prefix of it) or name; default: the newest image. */
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
    memoryMiB: Type.Optional(Type.Integer({ minimum: 256, maximum: 262_144 })),
    /** The writable layer's size on disk (sparse; removed with the sandbox); 0: in RAM. Default 8 GiB. */
    diskMiB: Type.Optional(Type.Union([Type.Literal(0), Type.Integer({ minimum: 64, maximum: 1_048_576 })])),
    workspace: Type.Optional(
      Type.Object(
        {
          path: Type.String({ minLength: 1, maxLength: 4096 }),
          readOnly: Type.Optional(Type.Boolean()),
          /** Secret-looking files at the top of the workspace the user chose to share. */
          include: Type.Optional(Type.Array(Type.String({ maxLength: 255 }), { maxItems: 100 })),
        },
        strict,
      ),
    ),
    /** Managed agents (`warden agent add`) to put on PATH: names, or NAME@VERSION; installed ones only. */
    agents: Type.Optional(
      Type.Array(
        Type.String({ minLength: 1, maxLength: 214, pattern: '^[@A-Za-z0-9][A-Za-z0-9@/._~+-]*$' }),
        {
          maxItems: 16,
        },
      ),
    ),
    /** Mount the per-project agent home ($WARDEN_HOME/homes/<workspace hash>) as the agents' settings folders. */
    agentHome: Type.Optional(Type.Boolean()),
    /** Use a pre-booted VM from the warm pool when one fits (default true). */
    warm: Type.Optional(Type.Boolean()),
  },
  strict,
);

/**
 * `POST /v1/sandboxes`: the kind picks the schema (`if`/`then`/`else` rather than a union,
 * so a refusal names what is wrong for that kind, not what fails every kind).
 */
export const CreateSandboxRequestSchema = Type.Unsafe<CreateSandboxRequest>({
  type: 'object',
  if: { type: 'object', properties: { kind: { const: 'host' } }, required: ['kind'] },
  // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then/else (an object, so not a thenable)
  then: CreateHostSandboxRequestSchema,
  else: CreateVmSandboxRequestSchema,
});

/** Exec options, given as the query of the upgrade request (argv and env repeat). */
export const ExecRequestSchema = Type.Object(
  {
    argv: Type.Array(Type.String({ maxLength: 100_000 }), { minItems: 1, maxItems: 10_000 }),
    env: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String())),
    cwd: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    stdin: Type.Optional(Type.Boolean()),
    tty: Type.Optional(Type.Boolean()),
    rows: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    cols: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    /**
     * This command owns the sandbox: when it ends (it exits, or its client goes away) the
     * daemon removes the sandbox. `warden run` without --keep: its exit does not wait for the
     * VM to power off, and a killed CLI leaves no sandbox behind.
     */
    remove: Type.Optional(Type.Boolean()),
  },
  strict,
);

export type CreateVmSandboxRequest = Static<typeof CreateVmSandboxRequestSchema>;
export type CreateHostSandboxRequest = Static<typeof CreateHostSandboxRequestSchema>;
export type CreateSandboxRequest = CreateVmSandboxRequest | CreateHostSandboxRequest;
export type ExecRequest = Static<typeof ExecRequestSchema>;
/** @deprecated Use CreateHostSandboxRequest (`POST /v1/sandboxes`). */
export type CreateListenerRequest = Static<typeof CreateListenerRequestSchema>;
export type PutSecretRequest = Omit<Static<typeof PutSecretRequestSchema>, 'inject'> & {
  inject: Static<typeof InjectModeSchema>;
};
export type AnswerApprovalRequest = Static<typeof AnswerApprovalRequestSchema>;
export type PreviewApprovalRequest = Static<typeof PreviewApprovalRequestSchema>;
export type ValidatePolicyRequest = Static<typeof ValidatePolicyRequestSchema>;
export type ApplyPolicyRequest = Static<typeof ApplyPolicyRequestSchema>;
export type AddRuleRequest = Static<typeof AddRuleRequestSchema>;
export type InjectMode = Static<typeof InjectModeSchema>;
