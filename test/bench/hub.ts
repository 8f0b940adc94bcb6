// The hub's figures (issue 15), each beside the database alone doing the same inserts in the
// same run: 100,000 events device → hub (signed gzip batches of 1,000 over HTTP, re-hashed,
// continuity-checked, one Merkle leaf and receipt each, every receipt checked by the client)
// on SQLite and PostgreSQL; N devices × M events at once into PostgreSQL (0 duplicates,
// 0 gaps, verify clean); and an inclusion proof in a 1M-leaf tree.
// PostgreSQL figures need WARDEN_TEST_PG (test/support/hub/pg-cluster.sh). Sizes:
// HUB_BENCH_EVENTS (100000), HUB_BENCH_DEVICES (50), HUB_BENCH_DEVICE_EVENTS (10000).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { HubBatchResponse, HubRecord } from '../../supervisor/api/hub.ts';
import { GENESIS_HASH } from '../../supervisor/audit/chain.ts';
import { HubServer } from '../../supervisor/hub/http-server.ts';
import { openHub, openHubStore } from '../../supervisor/hub/open-hub.ts';
import type { HubService } from '../../supervisor/hub/service.ts';
import { verifyHub } from '../../supervisor/hub/verify.ts';
import { deviceIdOf } from '../../supervisor/hub-protocol/enrollment.ts';
import { type SeenTree, verifyReceipt } from '../../supervisor/hub-protocol/receipt.ts';
import {
  hashRanges,
  inclusionRanges,
  leafHash,
  type NodeId,
  nodeHash,
  rootOf,
  verifyInclusion,
} from '../../supervisor/tlog/merkle.ts';
import { parseVerifierKey, rawPublicKey } from '../../supervisor/tlog/note.ts';
import { syntheticChain } from '../support/hub/device.ts';
import { HubClient } from '../support/hub/hub-client.ts';
import type { Figure } from './figures.ts';

const EVENTS = Number(process.env.HUB_BENCH_EVENTS ?? 100_000);
const DEVICES = Number(process.env.HUB_BENCH_DEVICES ?? 50);
const DEVICE_EVENTS = Number(process.env.HUB_BENCH_DEVICE_EVENTS ?? 10_000);
const BATCH = 1000;

/** Transport failures the clients retried (reported in the figures' notes). */
const failures: string[] = [];

const at = (op: '<=' | '>=', target: number) => ({ op, target, on: 'value' as const });

async function freshDb(admin: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hub_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await d.end();
    },
  };
}

export interface Hub {
  service: HubService;
  server: HubServer;
  close(): Promise<void>;
}

export async function startHub(home: string, db: string, port = 0): Promise<Hub> {
  const service = await openHub({ home, db, origin: 'bench.hub/warden', challengeRate: 0 });
  const server = new HubServer({
    service,
    host: '127.0.0.1',
    port,
    log: (line) => {
      if (/failed/.test(line)) process.stderr.write(`${line.slice(0, 600)}\n`);
    },
  });
  await server.listen();
  return {
    service,
    server,
    close: async () => {
      await server.close();
      await service.close();
    },
  };
}

async function enrolledClient(hub: Hub): Promise<HubClient> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = rawPublicKey(privateKey);
  const client = new HubClient(hub.server.url, deviceIdOf(publicKey), privateKey);
  const { token } = await hub.service.createToken(600_000);
  const reply = await client.enroll({
    token,
    publicKey: publicKey.toString('base64'),
    user: 'bench',
    machine: 'bench',
    os: 'Linux',
    wardenVersion: '0.1.0',
    head: null,
    start: { seq: 1, prevHash: GENESIS_HASH },
  });
  if (reply.status !== 200) throw new Error(`enroll: ${reply.status} ${JSON.stringify(reply.body)}`);
  return client;
}

/** Send every record in batches, checking each receipt like the device does. */
async function syncAll(hub: Hub, client: HubClient, rows: HubRecord[]): Promise<void> {
  const verifier = parseVerifierKey(hub.service.verifierKey);
  let previous: SeenTree | null = null;
  for (let i = 0; i < rows.length; i += BATCH) {
    const part = rows.slice(i, i + BATCH);
    // As the device link does: 429 and dropped connections are retried after a pause.
    const send = () =>
      client.batch(part).catch((error: Error) => {
        failures.push(`${error.message}: ${String((error as { cause?: unknown }).cause)}`);
        return { status: 0, body: null, headers: new Headers() };
      });
    let reply = await send();
    const deadline = Date.now() + 120_000;
    while ((reply.status === 429 || reply.status === 0) && Date.now() < deadline) {
      const after = Number(reply.headers.get('retry-after') ?? 0.2);
      await new Promise((r) => setTimeout(r, after * 1000 * (0.5 + Math.random() / 2)));
      reply = await send();
    }
    if (reply.status !== 200) throw new Error(`batch: ${reply.status} ${JSON.stringify(reply.body)}`);
    const last = part.at(-1)!;
    const receipt = (reply.body as HubBatchResponse).receipt;
    // Several devices at once: the tree the client saw may be passed by others' leaves, so
    // each receipt is checked against the last tree this client verified.
    const tree = verifyReceipt(receipt, {
      verifier,
      origin: hub.service.log.origin,
      device: client.keyid,
      seq: last.seq,
      hash: last.hash,
      previous,
    });
    previous = tree;
    client.treeSize = tree.size;
  }
}

/** The database alone: the same rows inserted in transactions of BATCH, nothing else. */
async function directInserts(db: string, home: string, rows: HubRecord[]): Promise<number> {
  const store = await openHubStore(db, home);
  try {
    const id = 'd'.repeat(32);
    await store.enroll('none', 0, {
      id,
      publicKey: '',
      user: 'x',
      machine: 'x',
      os: 'x',
      version: 'x',
      enrolledAt: 0,
      startSeq: 1,
      startPrev: GENESIS_HASH,
      enrollHead: null,
    });
    await store.placeRecords([Date.now()], Date.now());
    const t = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      await store.transaction(id, (tx) => tx.insertRecords(rows.slice(i, i + BATCH), Date.now()));
    }
    return (performance.now() - t) / 1000;
  } finally {
    await store.close();
  }
}

async function oneDevice(kind: string, db: string, home: string, directDb: string): Promise<Figure> {
  const hub = await startHub(home, db);
  try {
    const rows = syntheticChain(EVENTS, 1, GENESIS_HASH, 'bench');
    const client = await enrolledClient(hub);
    const t = performance.now();
    await syncAll(hub, client, rows);
    const seconds = (performance.now() - t) / 1000;
    const direct = await directInserts(directDb, home, rows);
    return {
      section: 'hub',
      name: `${EVENTS} events device → hub, verified and receipted, ${kind} (s)`,
      value: seconds,
      unit: 's',
      goal: at('<=', 10),
      direct,
      ratio: seconds / direct,
      note: `${Math.round(EVENTS / seconds)} events/s; direct = the database alone inserting the same rows`,
    };
  } finally {
    await hub.close();
  }
}

async function manyDevices(db: string, home: string): Promise<Figure[]> {
  // Two hub processes' worth of servers on one database, devices spread over them.
  const hubs = [await startHub(home, db), await startHub(home, db)];
  try {
    const clients = await Promise.all(
      Array.from({ length: DEVICES }, (_, i) => enrolledClient(hubs[i % 2]!)),
    );
    const chains = clients.map((_, i) => syntheticChain(DEVICE_EVENTS, 1, GENESIS_HASH, `dev${i}`));
    const t = performance.now();
    await Promise.all(clients.map((c, i) => syncAll(hubs[i % 2]!, c, chains[i]!)));
    const seconds = (performance.now() - t) / 1000;
    const report = await verifyHub(hubs[0]!.service.store, hubs[0]!.service.log);
    const expected = DEVICES * DEVICE_EVENTS;
    return [
      {
        section: 'hub',
        name: `${DEVICES} devices × ${DEVICE_EVENTS} events at once, PostgreSQL (s)`,
        value: seconds,
        unit: 's',
        goal: at('<=', 30),
        note: `${Math.round(expected / seconds)} events/s over two hub servers; ${failures.length} retried transport failures${failures.length ? ` (first: ${failures[0]})` : ''}`,
      },
      {
        section: 'hub',
        name: 'duplicates + gaps after the concurrent run',
        value: Math.abs(report.records - expected) + report.problems.length,
        unit: '',
        goal: at('<=', 0),
        note: report.ok ? 'hub verify clean' : JSON.stringify(report.problems.slice(0, 3)),
      },
    ];
  } finally {
    for (const h of hubs) await h.close();
  }
}

function proofFigures(): Figure[] {
  const size = 1 << 20;
  let level: Buffer[] = Array.from({ length: size }, (_, i) => leafHash(Buffer.from(String(i))));
  const levels = [level];
  while (level.length > 1) {
    const below = level;
    level = Array.from({ length: below.length / 2 }, (_, i) => nodeHash(below[2 * i]!, below[2 * i + 1]!));
    levels.push(level);
  }
  const node = (id: NodeId) => levels[id.level]![id.index]!;
  const root = rootOf(size, node);
  const index = 777_777;
  const proof = hashRanges(inclusionRanges(index, size), node);
  const lh = leafHash(Buffer.from(String(index)));
  const rounds = 1000;
  const t = performance.now();
  for (let r = 0; r < rounds; r++)
    if (!verifyInclusion(index, size, lh, proof, root)) throw new Error('proof failed');
  const ms = (performance.now() - t) / rounds;
  return [
    {
      section: 'hub',
      name: 'inclusion proof in a 1M-leaf tree (hashes)',
      value: proof.length,
      unit: '',
      goal: at('<=', 20),
    },
    {
      section: 'hub',
      name: 'inclusion proof in a 1M-leaf tree, checked (ms)',
      value: ms,
      unit: 'ms',
      goal: at('<=', 1),
    },
  ];
}

export async function benchHub(): Promise<Figure[]> {
  const figures: Figure[] = [...proofFigures()];
  const home = mkdtempSync(path.join(os.tmpdir(), 'warden-hub-bench-'));
  try {
    figures.push(await oneDevice('SQLite', 'sqlite:hub.db', home, 'sqlite:direct.db'));
    const admin = process.env.WARDEN_TEST_PG;
    if (admin) {
      const a = await freshDb(admin);
      const b = await freshDb(admin);
      const c = await freshDb(admin);
      try {
        figures.push(await oneDevice('PostgreSQL', a.url, home, b.url));
        figures.push(...(await manyDevices(c.url, home)));
      } finally {
        await a.drop();
        await b.drop();
        await c.drop();
      }
    } else {
      figures.push({
        section: 'hub',
        name: 'PostgreSQL figures',
        value: Number.NaN,
        unit: '',
        text: 'skipped: set WARDEN_TEST_PG',
      });
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  return figures;
}
