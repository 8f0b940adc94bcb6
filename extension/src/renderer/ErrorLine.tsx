// A failure as the renderer shows it: what went wrong and, when main knows, what to do.

import React from 'react';
import type { IpcError } from '../common/ipc.ts';

export function ErrorLine({ error }: { error: IpcError }) {
  return (
    <p className="warden-error" role="alert">
      {error.message}
      {error.hint ? <span className="warden-hint"> — {error.hint}</span> : null}
    </p>
  );
}
