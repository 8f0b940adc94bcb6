// What an approval card shows for a held MCP call: the server, the tool, prompt or resource,
// and its arguments (cut and with secrets masked by the daemon). Such a call is answered
// once: "always" belongs in the policy's spec.mcp, not in a network rule.

import React from 'react';
import type { McpCallView } from '../../../supervisor/api/events.ts';

const WHAT: Record<McpCallView['method'], string> = {
  'tools/call': 'Tool',
  'resources/read': 'Resource',
  'prompts/get': 'Prompt',
};

/** The rows of the card's facts list for an MCP call. */
export function McpCallFacts({ call }: { call: McpCallView }) {
  return (
    <>
      <dt>MCP server</dt>
      <dd>{call.server}</dd>
      <dt>{WHAT[call.method]}</dt>
      <dd className="warden-mcp-name">{call.name}</dd>
      {call.arguments !== undefined ? (
        <>
          <dt>Arguments</dt>
          <dd>
            <pre className="warden-mcp-arguments">{call.arguments}</pre>
            <span className="warden-hint">{call.argumentBytes} bytes</span>
          </dd>
        </>
      ) : null}
    </>
  );
}
