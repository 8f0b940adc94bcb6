// An approval card's answers: allow or deny once, and (unless the hold is answered once only:
// an MCP call, a budget, a package) "always", which the client confirms with the rule's diff.

import React from 'react';

export function AnswerButtons({
  busy,
  onceOnly,
  once,
  always,
  prefix = '',
}: {
  busy: boolean;
  onceOnly: boolean;
  once: (decision: 'allow' | 'deny') => void;
  always: (decision: 'allow' | 'deny') => void;
  prefix?: string;
}) {
  return (
    <div className={`${prefix}actions`}>
      <button type="button" className="allow" disabled={busy} onClick={() => once('allow')}>
        Allow once <kbd>a</kbd>
      </button>
      {onceOnly ? null : (
        <button type="button" className="allow secondary" disabled={busy} onClick={() => always('allow')}>
          Always allow… <kbd>A</kbd>
        </button>
      )}
      <button type="button" className="deny" disabled={busy} onClick={() => once('deny')}>
        Deny once <kbd>d</kbd>
      </button>
      {onceOnly ? null : (
        <button type="button" className="deny secondary" disabled={busy} onClick={() => always('deny')}>
          Always deny… <kbd>D</kbd>
        </button>
      )}
    </div>
  );
}
