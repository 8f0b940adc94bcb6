// The version is written once, in package.json; supervisor/api/version.ts is generated from
// it (build/write-version.mjs, run by every build) and must not be stale.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { versionSource } from '../../build/write-version.mjs';
import { VERSION } from '../../supervisor/api/version.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test("the contract's version is package.json's, in the generated file", () => {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string;
  };
  assert.equal(VERSION, version);
  assert.equal(
    readFileSync(path.join(root, 'supervisor/api/version.ts'), 'utf8'),
    versionSource(version),
    'stale: run npm run build',
  );
});
