// Approvals an organisation rule sends to IT (`approver: it`), on the wire: the card a device
// posts to the hub (what the desktop card shows: request line, sandbox, user, MCP call with
// masked arguments, package version held and why), IT's answer as the hub signs it and the device checks, and the admin
// page's inbox. The device holds the request; only an answer signed by the enrolled hub key,
// for this device and this approval, releases it.

import { type Static, Type } from '@sinclair/typebox';

export const HUB_IT_LIMITS = {
  /** Cards posted at once, and approvals a device lists as still waiting. */
  maxCards: 100,
  maxOpen: 1000,
  /** How long the hub holds an answers poll open when nothing is answered (ms). */
  maxWaitMs: 25_000,
  /** The first line of the signed note over an answer. */
  noteHeader: 'warden.dev/it-approval-answer/v1',
} as const;

const Id = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' });
const Text = (max: number) => Type.String({ maxLength: max });

export const HubItMcpSchema = Type.Object(
  {
    server: Text(300),
    method: Type.Union([
      Type.Literal('tools/call'),
      Type.Literal('resources/read'),
      Type.Literal('prompts/get'),
    ]),
    name: Text(2000),
    arguments: Type.Optional(Text(8192)),
    argumentBytes: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/** A package version held by spec.packages: what the card shows of it. */
export const HubItPackageSchema = Type.Object(
  {
    ecosystem: Type.Literal('npm'),
    name: Text(214),
    version: Text(256),
    publishedAt: Type.Optional(Text(40)),
    registry: Text(300),
    why: Text(2000),
  },
  { additionalProperties: false },
);

/** What IT sees: the device's approval card. */
export const HubItCardSchema = Type.Object(
  {
    id: Id,
    sandboxId: Text(200),
    user: Text(200),
    method: Text(32),
    scheme: Type.Union([
      Type.Literal('http'),
      Type.Literal('https'),
      Type.Literal('ws'),
      Type.Literal('wss'),
    ]),
    host: Text(300),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    path: Text(4096),
    query: Type.Optional(Text(4096)),
    reason: Text(2000),
    createdAt: Text(40),
    expiresAt: Text(40),
    mcp: Type.Optional(HubItMcpSchema),
    package: Type.Optional(HubItPackageSchema),
  },
  { additionalProperties: false },
);
export type HubItCard = Static<typeof HubItCardSchema>;

/** `POST /hub/v1/it-approvals`: new cards, and every approval for IT the device still holds. */
export const HubItPostSchema = Type.Object(
  {
    cards: Type.Array(HubItCardSchema, { maxItems: HUB_IT_LIMITS.maxCards }),
    open: Type.Array(Id, { maxItems: HUB_IT_LIMITS.maxOpen }),
  },
  { additionalProperties: false },
);
export type HubItPost = Static<typeof HubItPostSchema>;

/** `POST /hub/v1/it-approvals/answers`: wait up to `waitMs` for IT's answers. */
export const HubItPollSchema = Type.Object(
  { waitMs: Type.Integer({ minimum: 0, maximum: HUB_IT_LIMITS.maxWaitMs }) },
  { additionalProperties: false },
);

/** IT's answer; `note` is the hub's signed note over `noteHeader`, id, device, decision, admin, time. */
export const HubItAnswerSchema = Type.Object(
  {
    id: Id,
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]),
    by: Text(64),
    at: Type.Integer({ minimum: 0 }),
    note: Text(4096),
  },
  { additionalProperties: false },
);
export type HubItAnswer = Static<typeof HubItAnswerSchema>;

export const HubItAnswersSchema = Type.Object(
  { answers: Type.Array(HubItAnswerSchema, { maxItems: HUB_IT_LIMITS.maxOpen }) },
  { additionalProperties: false },
);

/** The text the hub signs for an answer (and the device re-derives to check it). */
export function itAnswerText(a: Omit<HubItAnswer, 'note'>, device: string): string {
  return `${HUB_IT_LIMITS.noteHeader}\n${a.id}\n${device}\n${a.decision}\n${a.by}\n${a.at}\n`;
}

/** `POST /admin/api/approvals/answer`. */
export const HubItAdminAnswerSchema = Type.Object(
  { id: Id, decision: Type.Union([Type.Literal('allow'), Type.Literal('deny')]) },
  { additionalProperties: false },
);

export const HUB_IT_STATES = ['pending', 'answered', 'withdrawn'] as const;
export type HubItState = (typeof HUB_IT_STATES)[number];

/** One card of IT's inbox on the admin page. */
export interface HubItApprovalView extends HubItCard {
  device: string;
  /** The device's name, when it gave one at enrollment. */
  deviceName: string | null;
  state: HubItState;
  received: number;
  answer: { decision: 'allow' | 'deny'; by: string; at: number; delivered: boolean } | null;
}
