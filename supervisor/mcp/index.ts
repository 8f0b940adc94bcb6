// MCP tool governance: MCP's streamable HTTP transport read at the proxy (JSON-RPC 2.0
// bodies, JSON and event-stream answers) and the calls in it decided by the policy's
// spec.mcp. The proxy carries the bytes; this folder decides and rewrites.

export { AnswerError, answerKind, JsonAnswer, MAX_MCP_JSON_ANSWER, SseAnswer } from './answer.ts';
export { MAX_SHOWN_ARGUMENTS, shownArguments } from './arguments.ts';
export {
  type CallVerdict,
  filterServerMessage,
  type Governed,
  governRequest,
  type McpAsker,
  type McpCall,
} from './govern.ts';
export {
  errorResponse,
  type JsonRpcMessage,
  MAX_MCP_BATCH,
  MAX_MCP_REQUEST_BYTES,
  parseBody,
  RPC,
} from './jsonrpc.ts';
export { describeMcpRule, type McpDecision, McpServer, McpServers, mcpServersOf } from './servers.ts';
export { MAX_SSE_EVENT_BYTES, SseError } from './sse.ts';
