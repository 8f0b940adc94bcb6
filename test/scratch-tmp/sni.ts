import { mkdtempSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { CertificateAuthority } from '../../supervisor/ca/index.ts';

const ca = await CertificateAuthority.loadOrCreate(mkdtempSync(path.join(os.tmpdir(), 'x-')));
const ctx = await ca.secureContextFor('127.0.0.1');
const s = https.createServer({ secureContext: ctx } as https.ServerOptions, (req, res) => res.end('hi'));
await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
const port = (s.address() as any).port;
const r = await request(`https://127.0.0.1:${port}/`, {
  dispatcher: new Agent({ connect: { ca: [ca.certPem] } }),
});
console.log(r.statusCode, await r.body.text());
s.close();
process.exit(0);
