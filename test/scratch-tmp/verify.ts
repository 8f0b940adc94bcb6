import { curl } from '../support/curl.ts';
import { policyYaml, startTestDaemon } from '../support/daemon.ts';
import { startUpstreams } from '../support/upstreams.ts';

const up = await startUpstreams();
for (const trusted of [true, false]) {
  const d = await startTestDaemon({
    upstreamCa: trusted ? [up.caPem] : [],
    resolve: { 'api.test': '127.0.0.1' },
  });
  const { env } = await d.listener(
    policyYaml(`- match: api.test\n  paths: ["/**"]\n  action: allow\n- match: 127.0.0.1\n  action: allow`),
  );
  const r = await curl(env, [`https://api.test:${up.httpsPort}/v`]);
  console.log(
    trusted ? 'extra CA trusted  ' : 'extra CA not given',
    r.status,
    r.body
      .split('\n')
      .find((l) => /not trusted|"url"/.test(l))
      ?.slice(0, 160),
  );
  await d.stop();
}
await up.close();
