import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BodyScanner } from './body-scanner.ts';
import { builtinFinders } from './detectors.ts';
import type { Finder } from './finders.ts';
import { RedactionBlocked } from './window.ts';

const AWS = 'AKIAIOSFODNN7EXAMPLE';
const GH = `ghp_${'a1B2c3D4e5'.repeat(3)}abcdef`;
const PEM =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7v\nabcdefgh+/==\n-----END RSA PRIVATE KEY-----';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

function finders(action: 'mask' | 'block' = 'mask', vault: string[] = []): Finder[] {
  return (['vault', 'cloud-keys', 'tokens', 'private-keys', 'email'] as const).flatMap((d) =>
    builtinFinders(d, action, { values: vault }),
  );
}

const mask = (kind: string, value: string) => `[REDACTED:${kind}:${value.length}]`;

/** Run `body` through a scanner in chunks of `size` bytes. */
function run(
  body: string | Buffer,
  size: number,
  json = true,
  f = finders(),
): { out: Buffer; counts: Record<string, number> } {
  const s = new BodyScanner({ finders: f, mask }, json);
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const parts: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) parts.push(s.push(buf.subarray(i, i + size)));
  parts.push(s.end());
  return { out: Buffer.concat(parts), counts: s.counts };
}

test('each detector masks its kind in a JSON prompt, which stays valid JSON', () => {
  const prompt = `key ${AWS} token ${GH} mail bob.smith@example.com jwt ${JWT}\nkey:\n${PEM}\nend`;
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: prompt }] });
  for (const size of [1, 7, 64, 100_000]) {
    const { out, counts } = run(body, size);
    const parsed = JSON.parse(out.toString()) as { messages: Array<{ content: string }> };
    const content = parsed.messages[0]?.content as string;
    for (const planted of [AWS, GH, 'bob.smith@example.com', JWT, 'MIIEowIBAAKCAQEA7v']) {
      assert.ok(!out.toString().includes(planted), `${planted} is gone at chunk size ${size}`);
    }
    assert.match(
      content,
      /^key \[REDACTED:cloud-keys:20\] token \[REDACTED:tokens:40\] mail \[REDACTED:email:21\]/,
    );
    assert.deepEqual(counts, { 'cloud-keys': 1, tokens: 2, email: 1, 'private-keys': 1 }, `size ${size}`);
    assert.ok(content.endsWith('\nend'));
  }
});

test('JSON escapes are decoded before matching: \\u0040 is an @, \\/ a slash', () => {
  const body = '{"content":"write to bob\\u0040example.com or \\u0041KIAIOSFODNN7EXAMPLE"}';
  for (const size of [1, 3, 1000]) {
    const { out, counts } = run(body, size);
    assert.deepEqual(JSON.parse(out.toString()), {
      content: 'write to [REDACTED:email:15] or [REDACTED:cloud-keys:20]',
    });
    assert.deepEqual(counts, { email: 1, 'cloud-keys': 1 });
  }
});

test('a body with nothing to mask goes on byte for byte, escapes and invalid UTF-8 included', () => {
  const body = Buffer.concat([
    Buffer.from('{"a":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" '),
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from('","a":[1,2.5e3,true,null]}'),
  ]);
  for (const size of [1, 5, 4096]) assert.deepEqual(run(body, size).out, body);
});

test('duplicate keys are all scanned; a match never spans two strings', () => {
  const body = '{"m":"bob@example.com","m":"alice@example.org","x":"user@","y":"example.com"}';
  const { out, counts } = run(body, 5);
  assert.equal(counts.email, 2);
  assert.ok(out.toString().includes('"x":"user@","y":"example.com"'));
});

test('a body that is not JSON is scanned as text', () => {
  const { out } = run(`hello "${AWS}" and \\u0040 bob@example.com`, 4, false);
  assert.equal(out.toString(), 'hello "[REDACTED:cloud-keys:20]" and \\u0040 [REDACTED:email:15]');
});

test('vault values and placeholders are masked; a block rule throws naming its kind', () => {
  const ph = `wdn_ph_${'0123456789abcdef0123456789abcdef01234567'}`;
  const body = JSON.stringify({ content: `the key is s3cr3t-Value and ${ph}` });
  const { out, counts } = run(body, 3, true, finders('mask', ['s3cr3t-Value']));
  assert.equal(JSON.parse(out.toString()).content, 'the key is [REDACTED:vault:12] and [REDACTED:vault:47]');
  assert.equal(counts.vault, 2);
  assert.throws(
    () => run(body, 3, true, finders('block', ['s3cr3t-Value'])),
    (e: unknown) => e instanceof RedactionBlocked && e.kind === 'vault',
  );
});

test('a long body is held back only by the window: one 6 MiB JSON string in 64 KiB chunks', () => {
  const f = finders();
  const s = new BodyScanner({ finders: f, mask }, true);
  // The window: the longest match (twice, for a PEM block) and a batch of 64 KiB, and a chunk.
  const overlap = 2 * Math.max(...f.map((x) => x.maxLength)) + 64 + 65536;
  const chunk = Buffer.from('x'.repeat(65536));
  let sent = s.push(Buffer.from('{"content":"'));
  let total = sent.length;
  for (let i = 0; i < 96; i++) {
    total += s.push(chunk).length;
    assert.ok(s.held <= overlap + chunk.length, `held ${s.held}`);
  }
  sent = s.push(Buffer.from(` ${AWS}"}`));
  total += sent.length + s.end().length;
  assert.equal(total, 12 + 96 * 65536 + 1 + '[REDACTED:cloud-keys:20]'.length + 2);
});

test('an escaped backslash before an n is not a newline, and \\u005c does not pair with what follows', () => {
  const body = '{"a":"C:\\\\new \\u005cn bob@example.com \\\\u0040x"}';
  const { out } = run(body, 3);
  assert.deepEqual(JSON.parse(out.toString()), { a: 'C:\\new \\n [REDACTED:email:15] \\u0040x' });
});
