// A reviewer hook command for the tests: reads the pending approval on stdin and behaves by
// the request's path: /allow, /deny, /ask answer so; /slow never answers; /crash exits 3;
// /signal kills itself; /garbage prints text; /flood prints 1 MiB; /extra answers a field the
// verdict does not have; /env denies with whether a Warden variable or the test secret reached it, and its variables' names;
// /orphan leaves a child holding stdout open and exits 0 without answering.
import { spawn } from 'node:child_process';

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  input += c;
});
process.stdin.on('end', () => {
  const { approval } = JSON.parse(input);
  const say = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
  switch (approval.path) {
    case '/allow':
      return say({ decision: 'allow', reason: `the team allows ${approval.host}` });
    case '/deny':
      return say({ decision: 'deny', reason: 'uploads are not allowed' });
    case '/ask':
      return say({ decision: 'ask' });
    case '/slow':
      return setTimeout(() => say({ decision: 'allow' }), 60_000);
    case '/crash':
      process.exit(3);
      break;
    case '/signal':
      process.kill(process.pid, 'SIGKILL');
      break;
    case '/garbage':
      return process.stdout.write('sure, go ahead\n');
    case '/flood':
      return process.stdout.write('x'.repeat(1024 * 1024));
    case '/extra':
      return say({ decision: 'allow', scope: 'always' });
    case '/env': {
      const e = Object.entries(process.env);
      const leaked = e.some(([k, v]) => k.startsWith('WARDEN') || String(v).includes('hunter2'));
      const keys = e.map(([k]) => k).sort();
      return say({ decision: 'deny', reason: `leaked=${leaked}; keys=${keys.join(',')}`.slice(0, 1000) });
    }
    case '/orphan': {
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], {
        stdio: ['ignore', 'inherit', 'ignore'],
      });
      return;
    }
    default:
      return say({ decision: 'ask', reason: `no opinion on ${approval.path}` });
  }
});
