// The HTTP status of each error name, in one table: domain code throws WardenError with a
// name, and only the server decides what status that is.

import type { ApiErrorName } from '../api/errors.ts';

export const ERROR_STATUS: Record<ApiErrorName, number> = {
  BadRequest: 400,
  BodyTooLarge: 413,
  NotFound: 404,
  Unauthorized: 401,
  Forbidden: 403,
  ApprovalNotFound: 404,
  PolicyInvalid: 400,
  SecretInvalid: 400,
  SecretNotFound: 404,
  SecretNotStored: 500,
  SandboxNotFound: 404,
  SandboxNotRunning: 409,
  SandboxBootFailed: 500,
  PortUnavailable: 409,
  WorkspaceInvalid: 400,
  WorkspaceNotFound: 400,
  WorkspaceHasSecrets: 400,
  WorkspaceIncludeUnknown: 400,
  ImageNotFound: 404,
  ImageBuildFailed: 500,
  ShellNotStarted: 500,
  DeviceRevoked: 401,
  ChainFork: 409,
  ChainGap: 409,
  RateLimited: 429,
  AgentNotFound: 404,
  AgentInstallFailed: 502,
  AgentHomeHasSecrets: 400,
  TaskNotFound: 404,
  TaskNotCancellable: 409,
  Cancelled: 409,
  InternalError: 500,
};
