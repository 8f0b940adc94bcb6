// The error the API's handlers throw: an HTTP status, a name and fields that cross the
// boundary in the error envelope.

import type { ErrorEnvelope } from './messages.ts';

export class ApiError extends Error {
  readonly status: number;
  readonly hint?: string;
  readonly extra?: Partial<ErrorEnvelope['error']>;
  constructor(
    status: number,
    name: string,
    message: string,
    hint?: string,
    extra?: Partial<ErrorEnvelope['error']>,
  ) {
    super(message);
    this.status = status;
    this.name = name;
    this.hint = hint;
    this.extra = extra;
  }
}
