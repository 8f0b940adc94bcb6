// answerProblem: an answer from the hub counts only when its note is signed by the enrolled hub
// key over exactly this answer for this device; otherwise it names which part is wrong, and
// never the note, its signature or a key.

import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { type HubItAnswer, itAnswerText } from '../api/hub-approvals.ts';
import { noteSigner, signNote } from '../tlog/note.ts';
import { answerProblem } from './it-relay.ts';

const hub = noteSigner('hub.test', generateKeyPairSync('ed25519').privateKey);
const device = randomUUID();
const fields = { id: randomUUID(), decision: 'allow' as const, by: 'it-admin', at: 1_765_000_000_000 };
const signed = (over: Partial<typeof fields> = {}, forDevice = device, by = hub): HubItAnswer => ({
  ...fields,
  note: signNote(itAnswerText({ ...fields, ...over }, forDevice), [by]),
});

test("the hub's own signature over this answer counts", () => {
  assert.equal(answerProblem(signed(), device, hub), null);
});

test('each way an answer can be wrong is named, without the note or a key', () => {
  const forger = noteSigner('hub.test', generateKeyPairSync('ed25519').privateKey);
  const cases: Array<[string, HubItAnswer, RegExp]> = [
    ['another key', signed({}, device, forger), /^it is not signed by the enrolled hub key \(/],
    ['another approval', signed({ id: randomUUID() }), /^the hub signed it for another approval$/],
    ['another device', signed({}, randomUUID()), /^the hub signed it for another device$/],
    [
      'an altered decision',
      signed({ decision: 'deny' as never }),
      /^its decision was altered after the hub signed it \(signed deny, sent allow\)$/,
    ],
    ['another admin', signed({ by: 'someone' }), /^its admin differs from what the hub signed$/],
    ['another time', signed({ at: 1 }), /^its time differs from what the hub signed$/],
    ['not a note', { ...fields, note: 'garbage' }, /^it is not signed by the enrolled hub key \(/],
  ];
  for (const [name, answer, want] of cases) {
    const why = answerProblem(answer, device, hub);
    assert.match(why ?? '', want, name);
    const signature = answer.note.trim().split('\n').at(-1)?.split(' ').at(-1) ?? '';
    assert.ok(!why?.includes(signature) || signature === 'garbage', `${name}: no signature`);
    assert.ok(!why?.includes(hub.publicKey.toString('base64')), `${name}: no key`);
  }
});
