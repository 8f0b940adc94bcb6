import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePackageFilter, readNpmPath } from './npm-path.ts';

test('packuments and tarballs, plain and scoped in both spellings', () => {
  assert.deepEqual(readNpmPath('/lodash'), { kind: 'packument', name: 'lodash' });
  assert.deepEqual(readNpmPath('/@types%2fnode'), { kind: 'packument', name: '@types/node' });
  assert.deepEqual(readNpmPath('/@types%2Fnode'), { kind: 'packument', name: '@types/node' });
  assert.deepEqual(readNpmPath('/@types/node'), { kind: 'packument', name: '@types/node' });
  assert.deepEqual(readNpmPath('/lodash/-/lodash-4.17.21.tgz'), {
    kind: 'tarball',
    name: 'lodash',
    version: '4.17.21',
    file: 'lodash-4.17.21.tgz',
  });
  assert.deepEqual(readNpmPath('/@types/node/-/node-22.1.0-beta.1.tgz'), {
    kind: 'tarball',
    name: '@types/node',
    version: '22.1.0-beta.1',
    file: 'node-22.1.0-beta.1.tgz',
  });
  assert.equal(readNpmPath('/-/v1/search'), null);
  assert.equal(readNpmPath('/lodash/latest'), null);
});

test('path tricks are not packages', () => {
  for (const p of [
    '/..%2f..%2fetc',
    '/lodash/-/..%2flodash-1.0.0.tgz',
    '/lodash/-/lodash-1.0.0.tgz/extra',
    '/lodash/-/other-1.0.0.tgz',
    '/lodash/-/lodash-latest.tgz',
    '/lodash/-/lodash-1.0.tgz',
    '/Lodash',
    '/%zz',
    '/@scope%2f..%2fx',
    '/lodash/x/lodash-1.0.0.tgz',
  ]) {
    assert.equal(readNpmPath(p)?.kind, 'invalid', p);
  }
});

test('an audit filter is a name with an optional version', () => {
  assert.deepEqual(parsePackageFilter('lodash'), { name: 'lodash' });
  assert.deepEqual(parsePackageFilter('@types/node@22.1.0'), { name: '@types/node', version: '22.1.0' });
  assert.equal(parsePackageFilter('lodash@'), null);
  assert.equal(parsePackageFilter('../x'), null);
});
