// The errors that cross a process boundary: a closed set of names, and the error domain
// code throws with one of them, a hint saying what to do, and optional fields. The HTTP
// server maps each name to its status in one table (supervisor/server/error-status.ts).

import type { BridgeError } from './bridge.ts';
import type { ErrorEnvelope } from './messages.ts';

export const API_ERROR_NAMES = [
  // the request
  'BadRequest',
  'BodyTooLarge',
  'NotFound',
  'Unauthorized',
  'Forbidden',
  'ApprovalNotFound',
  'ApprovalClosed',
  'ApprovalForIt',
  // policies and secrets
  'PolicyInvalid',
  'PolicyLockedByOrganisation',
  'SecretInvalid',
  'SecretNotFound',
  'SecretNotStored',
  // sandboxes and images
  'SandboxNotFound',
  'SandboxNotRunning',
  'SandboxBootFailed',
  'PortUnavailable',
  'WorkspaceInvalid',
  'WorkspaceNotFound',
  'WorkspaceHasSecrets',
  'WorkspaceIncludeUnknown',
  'ImageNotFound',
  'ImageBuildFailed',
  'ShellNotStarted',
  // the team hub
  'DeviceRevoked',
  'ChainFork',
  'ChainGap',
  'RateLimited',
  // agents
  'AgentNotFound',
  'AgentInstallFailed',
  'AgentHomeHasSecrets',
  // long work (tasks)
  'TaskNotFound',
  'TaskNotCancellable',
  'TaskBusy',
  'Cancelled',
  // the daemon itself
  'InternalError',
] as const;

export type ApiErrorName = (typeof API_ERROR_NAMES)[number];

/** Fields an error may carry besides its name, message and hint (e.g. a policy's errors). */
export type ErrorFields = Omit<Partial<ErrorEnvelope['error']>, 'name' | 'message' | 'hint'>;

export class WardenError extends Error {
  override readonly name: ApiErrorName;
  readonly hint?: string;
  readonly fields?: ErrorFields;

  constructor(name: ApiErrorName, message: string, hint?: string, fields?: ErrorFields) {
    super(message);
    this.name = name;
    this.hint = hint;
    this.fields = fields;
  }

  /** The envelope this error crosses the boundary in. */
  toEnvelope(): ErrorEnvelope {
    const envelope: ErrorEnvelope = { error: { name: this.name, message: this.message, ...this.fields } };
    if (this.hint) envelope.error.hint = this.hint;
    return envelope;
  }
}

/** Any thrown value as a WardenError (an unexpected one is an InternalError). */
export function asWardenError(error: unknown): WardenError {
  if (error instanceof WardenError) return error;
  return new WardenError('InternalError', error instanceof Error ? error.message : String(error));
}

/**
 * Any thrown value as the shape an error crosses a process boundary in (Electron IPC, the
 * renderer's stores): name, message, status, hint and policy errors, also from an API
 * client's envelope (`details`). Main and the renderer both convert with this.
 */
export function errorShapeOf(error: unknown): BridgeError {
  if (!error || typeof error !== 'object') return { name: 'Error', message: String(error) };
  type Nested = { errors?: BridgeError['errors'] };
  const e = error as Partial<BridgeError> & { details?: Nested; fields?: Nested };
  const errors = [e.errors, e.details?.errors, e.fields?.errors].find((x) => Array.isArray(x));
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    message: typeof e.message === 'string' ? e.message : String(error),
    ...(typeof e.status === 'number' ? { status: e.status } : {}),
    ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
    ...(errors ? { errors } : {}),
  };
}
