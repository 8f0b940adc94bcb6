// The one client interface the UI talks to: the desktop bridge (supervisor/api/bridge.ts)
// plus the state of the live connection. Two implementations: the Electron preload
// (preload-client.ts) and browser mode over HTTP (http-client.ts); the UI never knows which.

import type {
  BridgeError as BridgeErrorShape,
  ConnectionState,
  WardenBridge,
  WardenDesktop,
} from '../../supervisor/api/bridge.ts';
import { errorShapeOf } from '../../supervisor/api/errors.ts';

export type { ConnectionState };

/** The bridge, plus the desktop's requests where there is a desktop (Electron). */
export type WardenClient = WardenBridge & Partial<WardenDesktop>;

/** An error the UI can show: the daemon's name, message, status, hint and validation errors. */
export class BridgeError extends Error implements BridgeErrorShape {
  readonly status?: number;
  readonly hint?: string;
  readonly errors?: BridgeErrorShape['errors'];
  constructor(shape: BridgeErrorShape) {
    super(shape.message);
    this.name = shape.name;
    if (shape.status !== undefined) this.status = shape.status;
    if (shape.hint !== undefined) this.hint = shape.hint;
    if (shape.errors !== undefined) this.errors = shape.errors;
  }
}

/** Anything thrown (a BridgeError, a plain Error, an envelope-shaped object) as a BridgeError. */
export function toBridgeError(error: unknown): BridgeError {
  return error instanceof BridgeError ? error : new BridgeError(errorShapeOf(error));
}
