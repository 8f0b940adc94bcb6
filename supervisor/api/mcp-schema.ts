// The `spec.mcp` part of the policy document: which hosts are MCP servers, and per server
// which tools, resources and prompts an agent may use (allow), must ask for (ask) or may not
// (deny). Part of the policy schema (policy-schema.ts), so editors and the parser see it.

import { type Static, Type } from '@sinclair/typebox';

const McpApproverSchema = Type.Unsafe<'it'>({
  type: 'string',
  enum: ['it'],
  description: "With action ask: it: IT answers on the team hub's Approvals page, not the developer.",
});

const McpActionSchema = Type.Unsafe<'allow' | 'deny' | 'ask'>({
  type: 'string',
  enum: ['allow', 'deny', 'ask'],
  description:
    'allow: let the call through; deny: answer it with a JSON-RPC error; ask: hold it for a human.',
});

const Description = Type.Optional(
  Type.String({ description: 'Why this rule exists; shown in errors and audit.' }),
);

export const McpNameRuleSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 300,
      description: 'Tool or prompt name glob: * any characters, ? one character; case-sensitive.',
    }),
    action: McpActionSchema,
    approver: Type.Optional(McpApproverSchema),
    description: Description,
  },
  { additionalProperties: false },
);

export const McpUriRuleSchema = Type.Object(
  {
    uri: Type.String({
      minLength: 1,
      maxLength: 2000,
      description: 'Resource URI glob: * any characters except /, ** any characters, ? one character.',
    }),
    action: McpActionSchema,
    approver: Type.Optional(McpApproverSchema),
    description: Description,
  },
  { additionalProperties: false },
);

export const McpServerSchema = Type.Object(
  {
    match: Type.String({
      minLength: 1,
      description:
        'The server host, as in a network rule (host, *.host, address), with optional scheme:// and :port.',
    }),
    path: Type.Optional(
      Type.String({ pattern: '^/', description: 'Path glob of the MCP endpoint (any path when absent).' }),
    ),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'The server as approvals and audit name it.',
      }),
    ),
    default: Type.Optional(McpActionSchema),
    recordArguments: Type.Optional(
      Type.Boolean({ description: 'Write the arguments of each call (size-capped) into the audit trail.' }),
    ),
    tools: Type.Optional(Type.Array(McpNameRuleSchema, { description: 'tools/call, by tool name.' })),
    resources: Type.Optional(Type.Array(McpUriRuleSchema, { description: 'resources/read, by URI.' })),
    prompts: Type.Optional(Type.Array(McpNameRuleSchema, { description: 'prompts/get, by prompt name.' })),
  },
  { additionalProperties: false },
);

export const McpSpecSchema = Type.Object(
  {
    servers: Type.Optional(Type.Array(McpServerSchema)),
  },
  { additionalProperties: false },
);

export type McpServerSpec = Static<typeof McpServerSchema>;
export type McpSpec = Static<typeof McpSpecSchema>;
