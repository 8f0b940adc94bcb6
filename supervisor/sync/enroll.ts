// `warden sync enroll STRING`: a new Ed25519 device key, registered with the hub by a
// request signed with it (proof of possession) carrying the one-time token, this device's
// chain head and where uploads start (its first record). The hub's first checkpoint is
// checked against the key in the enrollment string before anything is kept.

import os from 'node:os';
import { Ajv } from 'ajv';
import { WardenError } from '../api/errors.ts';
import {
  HUB_PATHS,
  type HubEnrollRequest,
  type HubEnrollResponse,
  HubEnrollResponseSchema,
} from '../api/hub.ts';
import type { SyncLedger } from '../audit/sync-ledger.ts';
import { parseEnrollment } from '../hub-protocol/enrollment.ts';
import { openCheckpoint, ReceiptError } from '../hub-protocol/receipt.ts';
import { parseVerifierKey } from '../tlog/note.ts';
import { newDeviceKey, saveDeviceKey } from './device-key.ts';
import { callHub, HubUnreachable, replyError } from './hub-client.ts';

const validResponse = new Ajv({ strict: false }).compile(HubEnrollResponseSchema);

export interface EnrollInput {
  enrollment: string;
  ledger: SyncLedger;
  keyFile: string;
  user: string;
  version: string;
  timeoutMs: number;
}

export interface Enrolled {
  deviceId: string;
  hub: string;
  startSeq: number;
}

const LOOPBACK = /^http:\/\/(127\.[0-9.]+|\[::1\]|localhost)(:[0-9]+)?\/?$/;

export async function enroll(input: EnrollInput): Promise<Enrolled> {
  const e = parseEnrollment(input.enrollment);
  if (e.url.startsWith('http:') && !LOOPBACK.test(e.url)) {
    throw new WardenError(
      'BadRequest',
      `the hub ${e.url} is plain HTTP on a non-loopback address`,
      'A hub outside this machine must be reached over HTTPS; ask IT for a string with an https:// URL.',
    );
  }
  const verifier = parseVerifierKey(e.hubKey);
  const key = newDeviceKey();
  const start = input.ledger.start();
  const body: HubEnrollRequest = {
    token: e.token,
    publicKey: key.publicKey.toString('base64'),
    user: input.user.slice(0, 256),
    machine: os.hostname().slice(0, 256),
    os: `${os.type()} ${os.release()}`.slice(0, 256),
    wardenVersion: input.version.slice(0, 64),
    head: input.ledger.head(),
    start,
  };
  const target = { url: e.url, tlsPin: e.tlsPin, key, timeoutMs: input.timeoutMs };
  let reply: Awaited<ReturnType<typeof callHub>>;
  try {
    reply = await callHub(target, {
      method: 'POST',
      path: HUB_PATHS.enroll,
      body: Buffer.from(JSON.stringify(body)),
    });
  } catch (error) {
    if (error instanceof HubUnreachable) {
      throw new WardenError(
        'BadRequest',
        error.message,
        'Check the hub is running and reachable, then enroll again.',
      );
    }
    throw error;
  }
  if (reply.status !== 200) {
    const error = replyError(reply);
    throw new WardenError(
      reply.status === 401 || reply.status === 403 ? 'Unauthorized' : 'BadRequest',
      `the hub refused the enrollment (${reply.status}): ${error?.message ?? 'no reason given'}`,
      'Enrollment strings work once and expire: ask IT for a new one (warden hub token create).',
    );
  }
  if (!validResponse(reply.json))
    throw new WardenError('BadRequest', "the hub's answer to the enrollment is malformed");
  const answer = reply.json as HubEnrollResponse;
  if (answer.deviceId !== key.deviceId) {
    throw new WardenError(
      'BadRequest',
      `the hub registered device ${answer.deviceId}, not this key (${key.deviceId})`,
    );
  }
  let tree: ReturnType<typeof openCheckpoint>;
  try {
    tree = openCheckpoint(answer.checkpoint, verifier, answer.origin);
  } catch (error) {
    if (!(error instanceof ReceiptError)) throw error;
    throw new WardenError(
      'BadRequest',
      `the hub's first checkpoint does not check: ${error.message}`,
      'The hub may not be the one IT named; do not use it.',
    );
  }
  await saveDeviceKey(input.keyFile, key);
  input.ledger.enroll({
    hubUrl: e.url,
    hubKey: e.hubKey,
    origin: answer.origin,
    tlsPin: e.tlsPin,
    deviceId: key.deviceId,
    ackedSeq: start.seq - 1,
    ackedHash: start.prevHash,
    treeSize: tree.size,
    treeRoot: tree.root.toString('base64'),
    enrolled: Date.now(),
  });
  return { deviceId: key.deviceId, hub: e.url, startSeq: start.seq };
}
