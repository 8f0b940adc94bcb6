// What an approval card shows instead of its answer buttons when the organisation's policy
// routes the request to IT: the developer cannot answer it, and it is denied at its timeout.

import React from 'react';

export function WaitingForIt({ prefix = '' }: { prefix?: string }) {
  return (
    <p className={`${prefix}waiting-it`} role="status">
      Waiting for IT: your organisation's policy says IT answers this on the team hub. It is denied if nobody
      does in time.
    </p>
  );
}
