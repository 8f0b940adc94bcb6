import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { WardenError } from '../api/errors.ts';
import { ERROR_STATUS } from '../server/error-status.ts';
import { checkWorkspace, npmrcHoldsCredential, secretLookingFiles } from './workspace.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wws-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const d = path.join(dir, name);
  mkdirSync(d);
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(d, f), text);
  return d;
}

test('secret-looking files at the top: .env*, *.pem, id_*, .npmrc with _authToken', () => {
  const d = folder('mixed', {
    '.env': 'A=1',
    '.env.local': 'B=2',
    'server.PEM': 'x',
    id_ed25519: 'k',
    '.npmrc': '//registry.npmjs.org/:_authToken=abc',
    'index.js': '',
    'environment.md': '',
  });
  mkdirSync(path.join(d, 'sub'));
  writeFileSync(path.join(d, 'sub', '.env'), 'deeper: not checked');
  assert.deepEqual(
    secretLookingFiles(d).map((f) => f.name),
    ['.env', '.env.local', '.npmrc', 'id_ed25519', 'server.PEM'],
  );
  const plainNpmrc = folder('npmrc', { '.npmrc': 'registry=https://registry.npmjs.org/\n' });
  assert.deepEqual(secretLookingFiles(plainNpmrc), []);
});

/** npm's `${NAME}` environment reference. */
const ref = (name: string): string => `\${${name}}`;

test('an .npmrc whose credentials are all environment references holds none; any literal value is one', () => {
  for (const text of [
    `//registry.npmjs.org/:_authToken=${ref('NPM_TOKEN')}\n`,
    `registry=https://r.test/\r\n//r.test/:_authToken = "${ref('R_TOKEN')}"\r\n//r.test/:_password=${ref('PW')}\n`,
  ])
    assert.equal(npmrcHoldsCredential(text), false, text);
  for (const text of [
    '//registry.npmjs.org/:_authToken=npm_abc',
    `//a.test/:_authToken=${ref('A')}\n//b.test/:_authToken=literal\n`,
    `//a.test/:_authToken=${ref('A')}suffix`,
    `//a.test/:_authToken=${ref('A')}${ref('B')}`,
    '_auth=dXNlcjpwYXNz',
    '//a.test/:_password=cGFzcw==',
    '# _authToken=npm_commented_out_but_still_a_token',
    '_authToken',
    '//a.test/:_authToken=',
  ])
    assert.equal(npmrcHoldsCredential(text), true, text);
});

test('checkWorkspace refuses secret-looking files unless each is included, naming the flag', () => {
  const d = folder('refuse', { '.env': 'A=1', 'key.pem': 'x', 'a.txt': '' });
  assert.throws(
    () => checkWorkspace({ path: d }),
    (e: WardenError) =>
      e.name === 'WorkspaceHasSecrets' &&
      ERROR_STATUS[e.name] === 400 &&
      /\.env/.test(e.message) &&
      /key\.pem/.test(e.message) &&
      e.hint ===
        'move them out of the folder, or share them on purpose with --include .env --include key.pem',
  );
  assert.throws(() => checkWorkspace({ path: d, include: ['.env'] }), /key\.pem/);
  assert.deepEqual(checkWorkspace({ path: d, include: ['.env', 'key.pem'], readOnly: true }), {
    hostPath: d,
    readOnly: true,
  });
  assert.throws(
    () => checkWorkspace({ path: d, include: ['.env', 'key.pem', 'a.txt'] }),
    (e: WardenError) => e.name === 'WorkspaceIncludeUnknown',
  );
});

test('checkWorkspace: a missing folder and a path QEMU cannot take are clear errors', () => {
  assert.throws(
    () => checkWorkspace({ path: path.join(dir, 'nope') }),
    (e: WardenError) => e.name === 'WorkspaceNotFound' && /is not a folder/.test(e.message),
  );
  const comma = folder('a,b', {});
  assert.throws(
    () => checkWorkspace({ path: comma }),
    (e: WardenError) => e.name === 'WorkspaceInvalid',
  );
});
