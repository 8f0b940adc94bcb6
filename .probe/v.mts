import { benchEvent } from '../test/bench/audit.ts';
import { AuditStore } from '../supervisor/audit/index.ts';
import Database from 'better-sqlite3';
import crypto from 'node:crypto';
import fs from 'node:fs';
const DEVICE = { hostname: 'bench', os: { name: 'Linux', type: 'Linux', type_id: 100 } };
const f = '/tmp/fsx/v.db';
if (!fs.existsSync(f)) {
  const s = AuditStore.open(f, { durability: 'normal', device: DEVICE });
  for (let i = 0; i < 100000; i += 1000) s.appendBatch(Array.from({ length: 1000 }, (_, k) => benchEvent(i + k)));
  s.close();
}
const db = new Database(f, { readonly: true });
for (let r = 0; r < 2; r++) {
let t = performance.now(); let n = 0;
for (const row of db.prepare('SELECT seq, time, kind, sandbox_id, user, host, outcome, ocsf, prev_hash, hash FROM records').raw(true).iterate()) n++;
console.log('iterate us', ((performance.now() - t) / n * 1000).toFixed(2));
t = performance.now(); n = 0;
for (const row of db.prepare('SELECT ocsf, prev_hash FROM records').raw(true).iterate() as any) { crypto.createHash('sha256').update(row[1]).update(row[0]).digest('hex'); n++; }
console.log('iterate+createHash us', ((performance.now() - t) / n * 1000).toFixed(2));
t = performance.now(); n = 0;
for (const row of db.prepare('SELECT ocsf, prev_hash FROM records').raw(true).iterate() as any) { (crypto as any).hash('sha256', row[1] + row[0]); n++; }
console.log('iterate+crypto.hash us', ((performance.now() - t) / n * 1000).toFixed(2));
t = performance.now();
const s = AuditStore.open(f, { readOnly: true });
const st = s.verify();
console.log('verify us', (performance.now() - t) / st.records * 1000, st.ok, st.firstBad, st.anchor);
s.close();
}
