// A small team hub for the device-side tests: it follows the contract (supervisor/api/hub.ts)
// with the real protocol code (request signatures, gzip batches, leaves, receipts) and the
// real transparency log (supervisor/tlog), keeping everything in memory. It re-hashes every
// record with the chain code, checks continuity (overlap trimmed, fork, gap), and can be told
// to misbehave: answer with an error, commit and then drop its reply, challenge the device,
// revoke it, or rewrite its own tree.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HubHead, HubLeaf, HubReceipt } from '../../supervisor/api/hub.ts';
import { HUB_PATHS, HUB_SIGNATURE } from '../../supervisor/api/hub.ts';
import { type ChainRow, rowHash } from '../../supervisor/audit/index.ts';
import { decodeBatch } from '../../supervisor/hub-protocol/batch.ts';
import { deviceIdOf, formatEnrollment } from '../../supervisor/hub-protocol/enrollment.ts';
import { hubLeafHash } from '../../supervisor/hub-protocol/receipt.ts';
import { parseSignedRequest, signatureValid } from '../../supervisor/hub-protocol/signature.ts';
import { formatCheckpoint } from '../../supervisor/tlog/checkpoint.ts';
import {
  appendNodes,
  consistencyRanges,
  hashRanges,
  inclusionRanges,
  type NodeId,
  rootOf,
} from '../../supervisor/tlog/merkle.ts';
import {
  ed25519PublicKeyObject,
  formatVerifierKey,
  noteSigner,
  signNote,
} from '../../supervisor/tlog/note.ts';

interface Device {
  id: string;
  key: ReturnType<typeof ed25519PublicKeyObject>;
  revoked: boolean;
  start: { seq: number; prevHash: string };
  head: HubHead | null;
  records: Map<number, string>;
  stored: number;
  duplicates: number;
  challenge: number[] | null;
  lastHeartbeat: { head: HubHead | null; backlog: number } | null;
}

export interface Misbehaviour {
  status: number;
  name?: string;
  retryAfter?: number;
  fields?: Record<string, unknown>;
}

class HubError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class TestHub {
  readonly devices = new Map<string, Device>();
  readonly tokens = new Set<string>();
  readonly nonces = new Set<string>();
  /** Answers the next batches get instead of being processed. */
  readonly failBatches: Misbehaviour[] = [];
  /** Commit the next N batches, then drop the connection without a reply. */
  dropAfterCommit = 0;
  /** Wait this long between committing a batch and answering it. */
  replyDelayMs = 0;
  /** Batches committed. */
  commits = 0;
  /** Change a successful answer before it is sent (a lying hub). */
  tamper: ((answer: Record<string, unknown>, path: string) => unknown) | null = null;
  /** Never answer (the connection stays open). */
  hang = false;
  /** Every request's path and status, in order. */
  readonly log: Array<{ path: string; status: number }> = [];
  readonly origin = `warden-test-hub/${randomBytes(4).toString('hex')}`;
  readonly #signer;
  readonly #nodes = new Map<string, Buffer>();
  readonly #leaves: HubLeaf[] = [];
  #server: http.Server;
  url = '';

  constructor() {
    const { privateKey } = generateKeyPairSync('ed25519');
    this.#signer = noteSigner('test-hub', privateKey);
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  get hubKey(): string {
    return formatVerifierKey(this.#signer);
  }

  get treeSize(): number {
    return this.#leaves.length;
  }

  async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  enrollment(): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.add(createHash('sha256').update(token).digest('hex'));
    return formatEnrollment({ url: this.url, hubKey: this.hubKey, tlsPin: null, token });
  }

  device(): Device {
    const [d] = [...this.devices.values()];
    if (!d) throw new Error('no device enrolled');
    return d;
  }

  /** The hub rewrites its log: the same number of leaves, one of them changed. */
  rewriteTree(): void {
    const leaves = this.#leaves.splice(0);
    this.#nodes.clear();
    for (const [i, leaf] of leaves.entries())
      this.#append(i === 0 ? { ...leaf, received: leaf.received + 1 } : leaf);
  }

  #node = (id: NodeId): Buffer => {
    const hash = this.#nodes.get(`${id.level}/${id.index}`);
    if (!hash) throw new Error(`no node ${id.level}/${id.index}`);
    return hash;
  };

  #append(leaf: HubLeaf): number {
    const index = this.#leaves.length;
    for (const n of appendNodes(index, [hubLeafHash(leaf)], this.#node))
      this.#nodes.set(`${n.level}/${n.index}`, n.hash);
    this.#leaves.push(leaf);
    return index;
  }

  #checkpoint(): string {
    const size = this.#leaves.length;
    return signNote(
      formatCheckpoint({ origin: this.origin, size, root: rootOf(size, this.#node), extensions: [] }),
      [this.#signer],
    );
  }

  #consistency(from: number) {
    const size = this.#leaves.length;
    if (!(from > 0 && from < size)) return null;
    return {
      fromSize: from,
      proof: hashRanges(consistencyRanges(from, size), this.#node).map((h) => h.toString('base64')),
    };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://hub');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let status = 200;
    let answer: unknown;
    if (this.hang) return;
    try {
      answer = this.#route(req, url, body);
      if (this.tamper && answer && typeof answer === 'object')
        answer = this.tamper(answer as Record<string, unknown>, url.pathname);
      if (this.replyDelayMs > 0 && url.pathname === HUB_PATHS.batches) {
        await new Promise((r) => setTimeout(r, this.replyDelayMs));
      }
      if (answer === 'drop') {
        this.log.push({ path: url.pathname, status: 0 });
        req.socket.destroy();
        return;
      }
    } catch (error) {
      if (!(error instanceof HubError)) throw error;
      status = error.status;
      if (error.fields.retryAfter !== undefined)
        res.setHeader('retry-after', String(error.fields.retryAfter));
      answer = { error: { name: error.errorName, message: error.message, ...error.fields } };
    }
    this.log.push({ path: url.pathname, status });
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  #auth(req: http.IncomingMessage, path: string, body: Buffer, enrollKey?: Buffer): Device | null {
    let parsed: ReturnType<typeof parseSignedRequest>;
    try {
      parsed = parseSignedRequest(req.method ?? 'GET', path, req.headers, body);
    } catch (error) {
      throw new HubError(401, 'Unauthorized', (error as Error).message);
    }
    if (this.nonces.has(parsed.nonce))
      throw new HubError(401, 'Unauthorized', 'replayed request (nonce seen before)');
    const device = enrollKey ? null : this.devices.get(parsed.keyid);
    const key = enrollKey ? ed25519PublicKeyObject(enrollKey) : device?.key;
    if (!key || (enrollKey && deviceIdOf(enrollKey) !== parsed.keyid))
      throw new HubError(401, 'Unauthorized', 'unknown device');
    if (!signatureValid(parsed, key)) throw new HubError(401, 'Unauthorized', 'bad signature');
    this.nonces.add(parsed.nonce);
    if (device?.revoked) throw new HubError(401, 'DeviceRevoked', 'this device was revoked by IT');
    return device ?? null;
  }

  #route(req: http.IncomingMessage, url: URL, body: Buffer): unknown {
    const path = url.pathname;
    if (path === HUB_PATHS.enroll) return this.#enroll(req, body);
    const device = this.#auth(req, path, body)!;
    const seen = Number(req.headers[HUB_SIGNATURE.headers.treeSize] ?? 0);
    if (path === HUB_PATHS.batches) return this.#batch(device, body, seen);
    if (path === HUB_PATHS.heartbeat) {
      const beat = JSON.parse(body.toString()) as { head: HubHead | null; backlog: number };
      device.lastHeartbeat = beat;
      const challenge = device.challenge;
      device.challenge = null;
      return {
        time: Date.now(),
        acknowledged: device.head,
        challenge: challenge ? { seqs: challenge } : null,
        checkpoint: this.#checkpoint(),
        consistency: this.#consistency(seen),
      };
    }
    if (path === HUB_PATHS.challenge) {
      const { answers } = JSON.parse(body.toString()) as {
        answers: Array<{ seq: number; hash: string | null }>;
      };
      const bad = answers.filter((a) => device.records.has(a.seq) && device.records.get(a.seq) !== a.hash);
      return { ok: bad.length === 0, firstDivergent: bad.length ? Math.min(...bad.map((b) => b.seq)) : null };
    }
    if (path === HUB_PATHS.heads) {
      const seqs = (url.searchParams.get('seqs') ?? '').split(',').filter(Boolean).map(Number);
      return {
        acknowledged: device.head,
        heads: seqs.map((seq) => ({ seq, hash: device.records.get(seq) ?? null })),
      };
    }
    throw new HubError(404, 'NotFound', `no route ${path}`);
  }

  #enroll(req: http.IncomingMessage, body: Buffer): unknown {
    const request = JSON.parse(body.toString());
    const key = Buffer.from(request.publicKey, 'base64');
    this.#auth(req, HUB_PATHS.enroll, body, key);
    const hashed = createHash('sha256').update(request.token).digest('hex');
    if (!this.tokens.delete(hashed))
      throw new HubError(401, 'Unauthorized', 'the token was spent or never issued');
    const id = deviceIdOf(key);
    this.devices.set(id, {
      id,
      key: ed25519PublicKeyObject(key),
      revoked: false,
      start: request.start,
      head: null,
      records: new Map(),
      stored: 0,
      duplicates: 0,
      challenge: null,
      lastHeartbeat: null,
    });
    return {
      deviceId: id,
      hubKey: this.hubKey,
      origin: this.origin,
      checkpoint: this.#checkpoint(),
      acknowledged: null,
    };
  }

  #batch(device: Device, body: Buffer, seen: number): unknown {
    const bad = this.failBatches.shift();
    if (bad) {
      throw new HubError(bad.status, bad.name ?? 'InternalError', `test hub: answering ${bad.status}`, {
        ...bad.fields,
        ...(bad.retryAfter !== undefined ? { retryAfter: bad.retryAfter } : {}),
      });
    }
    let records: ReturnType<typeof decodeBatch>;
    try {
      records = decodeBatch(body);
    } catch (error) {
      throw new HubError(400, 'BadRequest', (error as Error).message);
    }
    const expected = device.head ? device.head.seq + 1 : device.start.seq;
    if (records[0]!.seq > expected)
      throw new HubError(409, 'ChainGap', `expected seq ${expected}`, { expectedSeq: expected });
    let prev = device.head?.hash ?? device.start.prevHash;
    let duplicates = 0;
    const fresh: Array<[number, string]> = [];
    for (const r of records) {
      if (rowHash(r as ChainRow) !== r.hash)
        throw new HubError(400, 'BadRequest', `record ${r.seq} does not hash to its hash`);
      if (r.seq < expected) {
        if (device.records.get(r.seq) !== undefined && device.records.get(r.seq) !== r.hash) {
          throw new HubError(409, 'ChainFork', `different record at seq ${r.seq}`, { seq: r.seq });
        }
        duplicates++;
        continue;
      }
      if (r.prev_hash !== prev)
        throw new HubError(409, 'ChainFork', `seq ${r.seq} does not follow`, { seq: r.seq });
      fresh.push([r.seq, r.hash]);
      prev = r.hash;
    }
    for (const [seq, hash] of fresh) device.records.set(seq, hash);
    device.stored += fresh.length;
    device.duplicates += duplicates;
    const last = fresh.at(-1);
    if (last) device.head = { seq: last[0], hash: last[1] };
    const head = device.head!;
    const leaf: HubLeaf = { device: device.id, seq: head.seq, hash: head.hash, received: Date.now() };
    const leafIndex = this.#append(leaf);
    this.commits++;
    if (this.dropAfterCommit > 0) {
      this.dropAfterCommit--;
      return 'drop';
    }
    const size = this.#leaves.length;
    const receipt: HubReceipt = {
      checkpoint: this.#checkpoint(),
      leaf,
      leafIndex,
      treeSize: size,
      inclusion: hashRanges(inclusionRanges(leafIndex, size), this.#node).map((h) => h.toString('base64')),
      consistency: this.#consistency(seen),
    };
    return { acknowledged: head, stored: fresh.length, duplicates, receipt };
  }
}
