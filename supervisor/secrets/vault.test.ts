import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { FakeKeyring, fileVault, vaultPaths } from '../../test/support/secrets.ts';
import { tempDir } from '../../test/support/temp-dir.ts';
import { SecretValidationError, Vault, VaultError } from './index.ts';
import { keyringAccount } from './master-key.ts';

const VALUE = 'ghp_SuperSecretValue_1234567890abcdef';
const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

test('values are encrypted at rest; files are 0600; a reopen reads them back', async (t) => {
  const dir = tempDir(t);
  const paths = vaultPaths(dir);
  const vault = await Vault.open({ ...paths, keyring: 'off' });
  assert.equal(vault.backend, 'file');
  const view = await vault.set('GITHUB_TOKEN', VALUE, {
    hosts: ['API.github.com.', '*.githubusercontent.com'],
    inject: 'bearer',
  });
  assert.deepEqual(view.hosts, ['api.github.com', '*.githubusercontent.com']);
  assert.equal(view.inject, 'bearer');

  const bytes = await readFile(paths.file);
  assert.ok(!bytes.includes(VALUE), 'the vault file contains the value in clear');
  assert.ok(
    !bytes.includes(Buffer.from(VALUE).toString('base64')),
    'the vault file contains the value in base64',
  );
  assert.ok(bytes.includes('GITHUB_TOKEN'));
  assert.equal(await modeOf(paths.file), 0o600);
  assert.equal(await modeOf(paths.keyFile), 0o600);
  assert.deepEqual((await readdir(dir)).sort(), ['secrets.json', 'secrets.key']);

  const again = await Vault.open({ ...paths, keyring: 'off' });
  assert.equal(again.reveal('GITHUB_TOKEN'), VALUE);
  assert.deepEqual(again.list(), [view]);
  assert.ok(again.has('GITHUB_TOKEN') && !again.has('OTHER'));
});

test('each write uses a fresh IV, keeps createdAt and stays 0600', async (t) => {
  const paths = vaultPaths(tempDir(t));
  let clock = new Date('2026-01-01T00:00:00Z');
  const vault = await Vault.open({ ...paths, keyring: 'off', now: () => clock });
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  const first = JSON.parse(await readFile(paths.file, 'utf8'));
  clock = new Date('2026-02-01T00:00:00Z');
  const view = await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'header:X-Api-Key' });
  const second = JSON.parse(await readFile(paths.file, 'utf8'));
  assert.notEqual(first.secrets[0].value.iv, second.secrets[0].value.iv);
  assert.notEqual(first.secrets[0].value.data, second.secrets[0].value.data);
  assert.equal(view.createdAt, '2026-01-01T00:00:00.000Z');
  assert.equal(view.updatedAt, '2026-02-01T00:00:00.000Z');
  assert.equal(await modeOf(paths.file), 0o600);
});

test('remove and list; concurrent writes all land', async (t) => {
  const paths = vaultPaths(tempDir(t));
  const vault = await Vault.open({ ...paths, keyring: 'off' });
  await Promise.all(
    ['C', 'A', 'B', 'D'].map((name) =>
      vault.set(name, `${VALUE}-${name}`, { hosts: ['x.test'], inject: 'bearer' }),
    ),
  );
  assert.equal(await vault.remove('D'), true);
  assert.equal(await vault.remove('D'), false);
  assert.deepEqual(
    vault.list().map((s) => s.name),
    ['A', 'B', 'C'],
  );
  const reopened = await Vault.open({ ...paths, keyring: 'off' });
  assert.deepEqual(
    reopened.list().map((s) => s.name),
    ['A', 'B', 'C'],
  );
  assert.equal(reopened.reveal('B'), `${VALUE}-B`);
  assert.throws(() => reopened.reveal('D'), /no secret named D/);
});

test('a wrong key is a clear error and the vault file is left untouched', async (t) => {
  const dir = tempDir(t);
  const paths = vaultPaths(dir);
  const vault = await Vault.open({ ...paths, keyring: 'off' });
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  const before = await readFile(paths.file);
  await writeFile(paths.keyFile, `${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 });
  await assert.rejects(Vault.open({ ...paths, keyring: 'off' }), (err: Error) => {
    assert.ok(err instanceof VaultError);
    assert.equal(err.file, paths.file);
    assert.ok(
      err.message.includes(`the master key in ${paths.keyFile} does not open the vault ${paths.file}`),
    );
    assert.match(err.message, /move .* away/);
    assert.ok(!err.message.includes(VALUE));
    return true;
  });
  assert.deepEqual(await readFile(paths.file), before);
});

test('a corrupt vault file is a clear error naming the file, and it is left untouched', async (t) => {
  const paths = vaultPaths(tempDir(t));
  const vault = await Vault.open({ ...paths, keyring: 'off' });
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  for (const damage of ['{"format": "warden-vault", trunc', '[]', '{"format":"warden-vault","version":1}']) {
    await writeFile(paths.file, damage, { mode: 0o600 });
    await assert.rejects(Vault.open({ ...paths, keyring: 'off' }), (err: Error) => {
      assert.ok(err instanceof VaultError, String(err));
      assert.ok(err.message.includes(`the vault file ${paths.file} is damaged`), err.message);
      assert.ok(err.message.includes(`mv ${paths.file} ${paths.file}.damaged`), err.message);
      return true;
    });
    assert.equal(await readFile(paths.file, 'utf8'), damage);
  }
});

test('editing a secret’s hosts in the file makes it undecryptable (hosts are bound to the value)', async (t) => {
  const paths = vaultPaths(tempDir(t));
  const vault = await Vault.open({ ...paths, keyring: 'off' });
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  const doc = JSON.parse(await readFile(paths.file, 'utf8'));
  doc.secrets[0].hosts = ['evil.test'];
  const tampered = JSON.stringify(doc);
  await writeFile(paths.file, tampered, { mode: 0o600 });
  await assert.rejects(
    Vault.open({ ...paths, keyring: 'off' }),
    /secret A in the vault .* cannot be decrypted/,
  );
  assert.equal(await readFile(paths.file, 'utf8'), tampered);
});

test('a group-readable key file is refused with the chmod to run', async (t) => {
  const paths = vaultPaths(tempDir(t));
  await Vault.open({ ...paths, keyring: 'off' });
  const { chmod } = await import('node:fs/promises');
  await chmod(paths.keyFile, 0o644);
  await assert.rejects(Vault.open({ ...paths, keyring: 'off' }), new RegExp(`chmod 600 ${paths.keyFile}`));
});

test('a missing key file for an existing vault is an error, never a new key', async (t) => {
  const paths = vaultPaths(tempDir(t));
  const vault = await Vault.open({ ...paths, keyring: 'off' });
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  const { rm } = await import('node:fs/promises');
  await rm(paths.keyFile);
  await assert.rejects(Vault.open({ ...paths, keyring: 'off' }), /exists but its key file .* is missing/);
  await assert.rejects(stat(paths.keyFile), { code: 'ENOENT' });
});

test('keyring auto on this machine: the probe decides, and a file fallback works', async (t) => {
  const paths = vaultPaths(tempDir(t));
  const started = Date.now();
  const vault = await Vault.open({ ...paths, keyring: 'auto' });
  t.diagnostic(`this machine's vault backend: ${vault.backend} (opened in ${Date.now() - started} ms)`);
  if (vault.backend === 'file') {
    assert.equal(await modeOf(paths.keyFile), 0o600);
  } else {
    // A real keyring: clean up the entry this test made.
    const { systemKeyring } = await import('./keyring.ts');
    await systemKeyring().delete(keyringAccount(paths.file), AbortSignal.timeout(2000));
  }
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  assert.equal((await Vault.open({ ...paths, keyring: 'auto' })).backend, vault.backend);
});

test('a working keyring keeps the key out of the file system', async (t) => {
  const paths = vaultPaths(tempDir(t));
  const keyring = new FakeKeyring();
  const vault = await Vault.open({ ...paths, keyringStore: keyring });
  assert.equal(vault.backend, 'keyring');
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  await assert.rejects(stat(paths.keyFile), { code: 'ENOENT' });
  assert.deepEqual([...keyring.entries.keys()], [keyringAccount(paths.file)]);
  assert.equal((await Vault.open({ ...paths, keyringStore: keyring })).reveal('A'), VALUE);
  // The keyring is gone later: a clear error, not a new key.
  keyring.mode = 'broken';
  await assert.rejects(
    Vault.open({ ...paths, keyringStore: keyring }),
    /keeps its key in the fake keyring, which cannot be reached/,
  );
  await assert.rejects(Vault.open({ ...paths, keyring: 'off' }), /turned off/);
});

test('a broken or hanging keyring falls back to the key file within the deadline', async (t) => {
  for (const mode of ['broken', 'hang'] as const) {
    const paths = vaultPaths(tempDir(t));
    const keyring = new FakeKeyring();
    keyring.mode = mode;
    const started = Date.now();
    const vault = await Vault.open({ ...paths, keyringStore: keyring, keyringTimeoutMs: 100 });
    assert.equal(vault.backend, 'file', mode);
    assert.ok(Date.now() - started < 2000, `${mode}: took ${Date.now() - started} ms`);
    assert.equal(await modeOf(paths.keyFile), 0o600);
  }
});

test('invalid names, hosts, inject modes and values are refused, without echoing the value', async (t) => {
  const vault = await fileVault(t);
  const ok = { hosts: ['a.test'], inject: 'bearer' };
  const cases: Array<[string, string, { hosts: unknown; inject: unknown }, string]> = [
    ['1BAD', VALUE, ok, 'name'],
    ['has space', VALUE, ok, 'name'],
    ['x'.repeat(65), VALUE, ok, 'name'],
    ['A', VALUE, { hosts: [], inject: 'bearer' }, 'hosts'],
    ['A', VALUE, { hosts: ['*'], inject: 'bearer' }, 'hosts[0]'],
    ['A', VALUE, { hosts: ['a.test', '10.0.0.0/8'], inject: 'bearer' }, 'hosts[1]'],
    ['A', VALUE, { hosts: ['https://a.test'], inject: 'bearer' }, 'hosts[0]'],
    ['A', VALUE, { hosts: ['a.test:443'], inject: 'bearer' }, 'hosts[0]'],
    ['A', VALUE, { hosts: ['a.*.test'], inject: 'bearer' }, 'hosts[0]'],
    ['A', VALUE, { hosts: ['a.test'], inject: 'cookie' }, 'inject'],
    ['A', VALUE, { hosts: ['a.test'], inject: 'header:Bad Name' }, 'inject'],
    ['A', VALUE, { hosts: ['a.test'], inject: 'header:Host' }, 'inject'],
    ['A', VALUE, { hosts: ['a.test'], inject: 'query:a&b' }, 'inject'],
    ['A', `${VALUE}\r\nX-Evil: 1`, ok, 'value'],
    ['A', '', ok, 'value'],
    ['A', VALUE, { hosts: ['a.test'], inject: 'basic' }, 'value'],
  ];
  for (const [name, value, opts, field] of cases) {
    await assert.rejects(
      vault.set(name, value, opts as { hosts: string[]; inject: string }),
      (err: Error) => {
        assert.ok(err instanceof SecretValidationError, `${name} ${field}: ${err}`);
        assert.equal(err.field, field, err.message);
        assert.ok(!err.message.includes(VALUE), err.message);
        return true;
      },
    );
  }
  assert.equal(vault.size, 0);
  await vault.set('a.b-c_D', 'user:pass', { hosts: ['**.example.com', '127.0.0.1'], inject: 'basic' });
  await vault.set('Q', VALUE, { hosts: ['a.test'], inject: 'query:api_key' });
  await vault.set('H', VALUE, { hosts: ['a.test'], inject: 'header:X-Api-Key' });
  assert.equal(vault.size, 3);
});

test('no value in toString, inspect, JSON or list output', async (t) => {
  const vault = await fileVault(t);
  await vault.set('A', VALUE, { hosts: ['a.test'], inject: 'bearer' });
  const texts = [
    String(vault),
    inspect(vault, { showHidden: true, depth: 10 }),
    JSON.stringify(vault),
    JSON.stringify(vault.list()),
  ];
  for (const text of texts) assert.ok(!text.includes(VALUE) && !text.includes('SuperSecret'), text);
  assert.match(String(vault), /1 secrets, key in file/);
});

test('the vault file keeps no temporary files around after writes', async (t) => {
  const dir = tempDir(t);
  const vault = await Vault.open({ ...vaultPaths(dir), keyring: 'off' });
  for (let i = 0; i < 5; i++) await vault.set(`S${i}`, VALUE, { hosts: ['a.test'], inject: 'bearer' });
  assert.deepEqual((await readdir(dir)).sort(), ['secrets.json', 'secrets.key']);
  assert.equal(path.basename(vault.file), 'secrets.json');
});
