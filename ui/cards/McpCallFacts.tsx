// What an approval card shows for a held MCP call: the server, the tool, prompt or resource,
// and its arguments (cut and with secrets masked by the daemon). Such a call is answered
// once: "always" belongs in the policy's spec.mcp, not in a network rule.

import React from 'react';
import type { McpCallView } from '../../supervisor/api/events.ts';

const WHAT: Record<McpCallView['method'], string> = {
  'tools/call': 'Tool',
  'resources/read': 'Resource',
  'prompts/get': 'Prompt',
};

/** The rows of the card's facts list for an MCP call; `prefix` is the client's class prefix. */
export function McpCallFacts({ call, prefix = '' }: { call: McpCallView; prefix?: string }) {
  return (
    <>
      <dt>MCP server</dt>
      <dd>{call.server}</dd>
      <dt>{WHAT[call.method]}</dt>
      <dd className={`${prefix}mcp-name`}>{call.name}</dd>
      {call.arguments !== undefined ? (
        <>
          <dt>Arguments</dt>
          <dd>
            <pre className={`${prefix}mcp-arguments`}>{call.arguments}</pre>
            <span className={`${prefix}hint`}>{call.argumentBytes} bytes</span>
          </dd>
        </>
      ) : null}
    </>
  );
}
