import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPathGlob, compilePathGlob, matchPath, normalizePath, pathAmbiguity } from './path.ts';

describe('normalizePath', () => {
  const cases: Array<[string, string, string]> = [
    ['', '/', ''],
    ['/', '/', ''],
    ['/repos/acme/x', '/repos/acme/x', ''],
    ['/repos/acme/../other', '/repos/other', ''],
    ['/repos/acme/%2e%2e/other', '/repos/other', ''],
    ['/repos/acme/%2E%2e/other', '/repos/other', ''],
    ['/repos/acme/.%2e/other', '/repos/other', ''],
    ['/a/./b/.', '/a/b/', ''],
    ['/a/b/..', '/a/', ''],
    ['/../../etc/passwd', '/etc/passwd', ''],
    ['/..', '/', ''],
    ['/%7Euser/%41%42%2d', '/~user/AB-', ''],
    ['/a%2fb/%3f', '/a%2Fb/%3F', ''],
    ['/search?q=a/../b&x=%2e', '/search', 'q=a/../b&x=%2e'],
    ['/x?', '/x', ''],
    ['relative/path', '/relative/path', ''],
    ['/a//b', '/a//b', ''],
    ['/%', '/%', ''],
  ];
  for (const [input, path, query] of cases) {
    test(`${JSON.stringify(input)} → ${path}`, () => {
      assert.deepEqual(normalizePath(input), { path, query });
    });
  }
  test('is idempotent', () => {
    for (const [input] of cases) {
      const once = normalizePath(input).path;
      assert.equal(normalizePath(once).path, once);
    }
  });
});

describe('path globs', () => {
  const m = (glob: string, path: string) => matchPath(compilePathGlob(glob), normalizePath(path).path);
  test('* stays within a segment', () => {
    assert.equal(m('/repos/*', '/repos/acme'), true);
    assert.equal(m('/repos/*', '/repos/acme/x'), false);
    assert.equal(m('/repos/*/issues', '/repos/acme/issues'), true);
    assert.equal(m('/repos/a*', '/repos/acme'), true);
    assert.equal(m('/repos/a*', '/repos/bcme'), false);
  });
  test('** crosses segments', () => {
    assert.equal(m('/repos/**', '/repos/acme/x/y'), true);
    assert.equal(m('/**', '/anything/at/all'), true);
    assert.equal(m('/**', '/'), true);
    assert.equal(m('/repos/**/issues', '/repos/acme/x/issues'), true);
    assert.equal(m('/repos/**/issues', '/repos/issues'), true);
    assert.equal(m('/repos/**/issues', '/repos/acme/pulls'), false);
    assert.equal(m('/v1/**.json', '/v1/a/b.json'), true);
  });
  test('trailing /** also matches the bare prefix but not a longer sibling', () => {
    assert.equal(m('/repos/acme/**', '/repos/acme'), true);
    assert.equal(m('/repos/acme/**', '/repos/acme/'), true);
    assert.equal(m('/repos/acme/**', '/repos/acmecorp'), false);
  });
  test('? is one character except /', () => {
    assert.equal(m('/v?/x', '/v1/x'), true);
    assert.equal(m('/v?/x', '/v12/x'), false);
    assert.equal(m('/a?b', '/a/b'), false);
  });
  test('case-sensitive, regex characters are literal', () => {
    assert.equal(m('/Repos/**', '/repos/x'), false);
    assert.equal(m('/a.b', '/axb'), false);
    assert.equal(m('/a+(b)', '/a+(b)'), true);
  });
  test('traversal attempts cannot escape a prefix', () => {
    assert.equal(m('/repos/acme/**', '/repos/acme/../other'), false);
    assert.equal(m('/repos/acme/**', '/repos/acme/%2e%2e/other'), false);
    assert.equal(m('/repos/acme/**', '/repos/acme/%2E%2E/%2e%2e/etc'), false);
    assert.equal(m('/repos/acme/**', '/repos/other/../acme/x'), true);
  });
  test('percent-encoded unreserved characters in globs and paths compare equal', () => {
    assert.equal(m('/%7Euser/*', '/~user/x'), true);
    assert.equal(m('/~user/*', '/%7euser/x'), true);
    assert.equal(m('/a%2Fb', '/a%2fb'), true);
  });
  test('invalid globs are rejected with a reason', () => {
    assert.match(checkPathGlob('repos') ?? '', /must start with "\/"/);
    assert.match(checkPathGlob('/a b') ?? '', /space/);
    assert.match(checkPathGlob('/a/***') ?? '', /\*\*\*/);
    assert.match(checkPathGlob('/a/../b') ?? '', /"\.\." segment/);
    assert.match(checkPathGlob('/a/%2e%2e/b') ?? '', /"\.\." segment/);
    assert.match(checkPathGlob('/a%zz') ?? '', /two hex digits/);
    assert.match(checkPathGlob('/a#b') ?? '', /fragments/);
    assert.equal(checkPathGlob('/repos/**'), null);
    assert.throws(() => compilePathGlob('/a/../b'), /never match/);
  });
});

describe('pathAmbiguity', () => {
  const ambiguous: Array<[string, RegExp]> = [
    ['/ok/..%2Fadmin', /encoded "\/" \(%2F\)/],
    ['/ok/a%2fb', /encoded "\/"/],
    ['/ok/..%5Cadmin', /backslash/],
    ['/ok/..\\admin', /backslash/],
    ['/ok/..;/admin', /";"/],
    ['/admin;x/y', /";"/],
    ['/ok/..%3badmin', /";"/],
    ['/ok/%2e%2e/admin', /encoded dot segment/],
    ['/ok/.%2e/admin', /encoded dot segment/],
    ['/ok/%2E', /encoded dot segment/],
    ['/ok/..%252Fadmin', /double-encoded/],
    ['/ok//admin', /empty segment/],
    ['//admin', /empty segment/],
    ['/ok//', /empty segment/],
    ['//', /empty segment/],
  ];
  for (const [path, why] of ambiguous) {
    test(`${JSON.stringify(path)} is ambiguous`, () => {
      assert.match(pathAmbiguity(path) ?? '', why);
    });
  }
  for (const path of [
    '',
    '/',
    '/ok/x',
    '/ok/x/',
    '/ok/../admin',
    '/a/./b',
    '/file%2ejson',
    '/a%20b',
    '/x?q=%2F;..//',
  ]) {
    test(`${JSON.stringify(path)} is not`, () => {
      assert.equal(pathAmbiguity(path), null);
    });
  }
  test('names the segment', () => {
    assert.match(pathAmbiguity('/ok/..%2Fadmin/x') ?? '', /segment "\.\.%2Fadmin"/);
  });
});
