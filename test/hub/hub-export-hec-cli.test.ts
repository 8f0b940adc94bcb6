// `warden hub export add hec` as an operator runs it: the token only ever in its file (not
// in argv, `export ls` or the hub's database); `export run` against a receiver that follows
// Splunk's HEC docs; a wrong token is shown by `export ls` as the last error.

import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openHubStore } from '../../supervisor/hub/open-hub.ts';
import { HecReceiver } from '../support/hec/receiver.ts';
import { seedDevice } from '../support/hub/seed.ts';
import { tempDir } from '../support/temp-dir.ts';
import { runWarden } from '../support/warden-cli.ts';

/** `warden hub ARGS… --home HOME`. */
const warden = (home: string, ...args: string[]) =>
  runWarden(['hub', ...args, '--home', home], process.env, { timeoutMs: 60_000 });

test('warden hub export add hec, run, ls: the token stays in its file', async (t) => {
  const home = tempDir(t, 'warden-hub-hec-');
  const store = await openHubStore('sqlite:hub.db', home);
  await seedDevice(store, 'dddddddddddddddddddddddddddddddd', 600, 1_780_000_000_000);
  await store.close();
  const rx = new HecReceiver();
  const url = await rx.listen();
  t.after(() => rx.close());
  const tokenFile = path.join(tempDir(t), 'hec.token');
  writeFileSync(tokenFile, `${rx.token}\n`, { mode: 0o644 });

  const loose = await warden(home, 'export', 'add', 'hec', url, '--token-file', tokenFile);
  assert.notEqual(loose.code, 0);
  assert.match(loose.stderr, /can be read by other users/);
  chmodSync(tokenFile, 0o600);
  const added = await warden(
    home,
    'export',
    'add',
    'hec',
    url,
    '--token-file',
    tokenFile,
    '--index',
    'main',
    '--name',
    'splunk',
  );
  assert.equal(added.code, 0, added.stderr);
  assert.match(
    added.stdout,
    /^added splunk: hec http:\/\/127\.0\.0\.1:\d+\/services\/collector\/event\?index=main/,
  );

  const ran = await warden(home, 'export', 'run');
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /^splunk: sent 600\n/);
  assert.equal(rx.indexed.size, 600);

  writeFileSync(tokenFile, 'ffffffff-0000-4000-8000-0000deadbeef\n');
  await openHubStore('sqlite:hub.db', home).then(async (s) => {
    await seedDevice(s, 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 10, 1_780_000_000_000);
    await s.close();
  });
  const failed = await warden(home, 'export', 'run');
  assert.equal(failed.code, 1);
  const ls = await warden(home, 'export', 'ls');
  assert.match(ls.stdout, /splunk {2}hec .* lag 10 .*error: .*HTTP 403 \(code 4: Invalid token\)/);
  for (const text of [added.stdout, ran.stdout, failed.stdout, failed.stderr, ls.stdout])
    assert.equal(text.includes(rx.token), false);
  assert.equal(readFileSync(path.join(home, 'hub.db')).includes(Buffer.from(rx.token)), false);
});
