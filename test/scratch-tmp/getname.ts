import https from 'node:https';
import tls from 'node:tls';

const ca = [...tls.rootCertificates];
const a = new https.Agent({ keepAlive: true, ca });
const b = new https.Agent({ keepAlive: true, secureContext: tls.createSecureContext({ ca }) });
for (const [label, agent] of [
  ['ca: [roots]', a],
  ['secureContext', b],
] as const) {
  const opts = { ...(agent as any).options, host: 'api.test', port: 443, servername: 'api.test' };
  const t = performance.now();
  let len = 0;
  for (let i = 0; i < 10_000; i++) len = agent.getName(opts).length;
  console.log(
    label.padEnd(14),
    'pool key',
    len,
    'chars;',
    (((performance.now() - t) / 10_000) * 1000).toFixed(1),
    'µs per getName',
  );
}
