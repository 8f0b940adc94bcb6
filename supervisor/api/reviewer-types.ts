// What the reviewer hook answers (a command's stdout, or a webhook's response body): kept out of
// approval-types.ts so browser clients do not bundle TypeBox.

import { type Static, Type } from '@sinclair/typebox';

/** What the reviewer hook answers (stdout of the command, or the webhook's response body). */
export const ReviewerVerdictSchema = Type.Object(
  {
    decision: Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('ask')]),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);
export type ReviewerVerdict = Static<typeof ReviewerVerdictSchema>;
