// A device for hub tests: a real audit store (SQLite, the daemon's chain code) in a temporary
// folder, its records read back as the chain rows the sync link sends, and an Ed25519 key.

import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { HubRecord } from '../../../supervisor/api/hub.ts';
import { GENESIS_HASH, rowHash } from '../../../supervisor/audit/chain.ts';
import { AuditStore } from '../../../supervisor/audit/store.ts';
import { deviceIdOf } from '../../../supervisor/hub-protocol/enrollment.ts';
import { rawPublicKey } from '../../../supervisor/tlog/note.ts';
import { requestEvent, TEST_DEVICE } from '../audit/samples.ts';

const ROWS =
  'SELECT r.seq, r.time, r.kind, r.sandbox_id, r.user, r.host, r.outcome, r.body, c.body AS ctx, r.logged, ' +
  'r.prev_hash, r.hash FROM records r LEFT JOIN contexts c ON c.id = r.ctx WHERE r.seq > ? ORDER BY r.seq LIMIT ?';

export class TestDevice {
  readonly file: string;
  readonly store: AuditStore;
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
  readonly id: string;
  #appended = 0;

  constructor(dir: string, name = 'device') {
    this.file = path.join(dir, `${name}.db`);
    this.store = AuditStore.open(this.file, { durability: 'normal', device: TEST_DEVICE, version: '0.1.0' });
    const { privateKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    this.publicKey = rawPublicKey(privateKey);
    this.id = deviceIdOf(this.publicKey);
  }

  /** Append `n` request records (one transaction per 1,000). */
  append(n: number): void {
    for (let done = 0; done < n; ) {
      const k = Math.min(1000, n - done);
      this.store.appendBatch(Array.from({ length: k }, (_, i) => requestEvent(this.#appended + i)));
      this.#appended += k;
      done += k;
    }
  }

  /** Records after `afterSeq`, as the sync link sends them. */
  rows(afterSeq = 0, limit = 1000): HubRecord[] {
    const db = new Database(this.file, { readonly: true });
    try {
      return db.prepare(ROWS).all(afterSeq, limit) as HubRecord[];
    } finally {
      db.close();
    }
  }

  head(): { seq: number; hash: string } | null {
    const h = this.store.head();
    return h ? { seq: h.seq, hash: h.hash } : null;
  }

  close(): void {
    this.store.close();
  }
}

/** A chain of `n` records made without a store (fast, for stores' own tests), from `prev`. */
export function syntheticChain(
  n: number,
  from = 1,
  prev = GENESIS_HASH,
  tag = 'x',
  time = Date.now(),
): HubRecord[] {
  const out: HubRecord[] = [];
  for (let i = 0; i < n; i++) {
    const seq = from + i;
    const row = {
      seq,
      time: time + i,
      kind: 'request.decided',
      sandbox_id: 'sb-1',
      user: 'alice',
      host: `h${seq % 4}.example.com`,
      outcome: 'allowed',
      body: `{"id":"${tag}-${seq}","method":"GET"}`,
      ctx: '{"device":{"hostname":"devbox"},"version":"0.1.0"}',
      logged: time + i,
      prev_hash: prev,
    };
    const hash = rowHash(row);
    out.push({ ...row, hash });
    prev = hash;
  }
  return out;
}
