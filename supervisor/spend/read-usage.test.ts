import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageReader } from './read-usage.ts';

const sse = (events: Array<[string | undefined, unknown]>) =>
  events.map(([name, data]) => `${name ? `event: ${name}\n` : ''}data: ${JSON.stringify(data)}\n\n`).join('');

/** Feeds `text` in pieces of `size` bytes (splitting lines and UTF-8 sequences). */
function feed(reader: UsageReader, text: string, size: number): void {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) reader.push(bytes.subarray(i, i + size));
}

const anthropicStream = sse([
  [
    'message_start',
    {
      type: 'message_start',
      message: {
        model: 'claude-sonnet-4-5-20250929',
        usage: {
          input_tokens: 12,
          output_tokens: 1,
          cache_read_input_tokens: 7,
          cache_creation_input_tokens: 3,
        },
      },
    },
  ],
  [
    'content_block_delta',
    { type: 'content_block_delta', delta: { type: 'text_delta', text: 'héllo "usage"' } },
  ],
  ['message_delta', { type: 'message_delta', usage: { output_tokens: 40 } }],
  ['message_stop', { type: 'message_stop' }],
]);

test('Anthropic stream: message_start then the cumulative message_delta, in any chunking', () => {
  for (const size of [1, 3, 64, 100_000]) {
    const r = new UsageReader('anthropic.messages', 'text/event-stream; charset=utf-8');
    feed(r, anthropicStream, size);
    r.end();
    assert.deepEqual(r.result(), {
      model: 'claude-sonnet-4-5-20250929',
      inputTokens: 12,
      outputTokens: 40,
      cacheReadTokens: 7,
      cacheWriteTokens: 3,
    });
  }
});

test('a stream cut after message_start keeps what was seen and says it was cut', () => {
  const r = new UsageReader('anthropic.messages', 'text/event-stream');
  feed(r, anthropicStream.slice(0, anthropicStream.indexOf('event: message_delta')), 10);
  r.cut('the upstream reset the connection');
  const u = r.result();
  assert.equal(u.inputTokens, 12);
  assert.equal(u.outputTokens, 1);
  assert.match(u.incomplete ?? '', /reset the connection; the usage is what was seen/);
});

test('OpenAI chat: JSON usage splits cached input out; a stream without include_usage says so', () => {
  const r = new UsageReader('openai.chat', 'application/json');
  r.push(
    Buffer.from(
      JSON.stringify({
        model: 'gpt-4o-mini',
        usage: { prompt_tokens: 100, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 40 } },
      }),
    ),
  );
  r.end();
  assert.deepEqual(r.result(), {
    model: 'gpt-4o-mini',
    inputTokens: 60,
    outputTokens: 9,
    cacheReadTokens: 40,
    cacheWriteTokens: 0,
  });
  const s = new UsageReader('openai.chat', 'text/event-stream');
  feed(
    s,
    `${sse([[undefined, { model: 'gpt-4o', choices: [{ delta: { content: 'x' } }] }]])}data: [DONE]\n\n`,
    7,
  );
  s.end();
  assert.match(s.result().incomplete ?? '', /include_usage/);
  assert.equal(s.result().model, 'gpt-4o');
});

test('OpenAI Responses stream: response.completed carries the usage', () => {
  const r = new UsageReader('openai.responses', 'text/event-stream');
  const usage = { input_tokens: 50, input_tokens_details: { cached_tokens: 20 }, output_tokens: 5 };
  feed(
    r,
    sse([
      ['response.created', { type: 'response.created', response: { model: 'o3', usage: null } }],
      ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'hi' }],
      ['response.completed', { type: 'response.completed', response: { model: 'o3', usage } }],
    ]),
    5,
  );
  r.end();
  assert.deepEqual(r.result(), {
    model: 'o3',
    inputTokens: 30,
    outputTokens: 5,
    cacheReadTokens: 20,
    cacheWriteTokens: 0,
  });
});
