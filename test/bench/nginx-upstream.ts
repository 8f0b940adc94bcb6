// nginx as the upstream of the peer comparison (as in ../shared/bench/peers.sh): a server
// faster than any proxy in front of it, so the proxies, not the upstream, set the pace.
// Serves /small (2 bytes) and /bytes/102400 over HTTP and HTTPS (a certificate for 127.0.0.1
// from a throw-away CA made with openssl).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BenchUpstreams } from './bench-upstreams.ts';
import { freePort, startPeerProcess } from './peers.ts';

export async function startNginxUpstream(nginx: string): Promise<BenchUpstreams> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'warden-bench-nginx-'));
  await chmod(dir, 0o755);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '2',
    '-subj',
    '/CN=warden-bench-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  ssl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'srv.key', '-out', 'srv.csr');
  writeFileSync(path.join(dir, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'srv.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ext',
    '-out',
    'srv.pem',
  );
  const root = path.join(dir, 'www');
  mkdirSync(path.join(root, 'bytes'), { recursive: true });
  writeFileSync(path.join(root, 'small'), 'ok');
  writeFileSync(path.join(root, 'bytes', '102400'), Buffer.alloc(102400, 120));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log; daemon off;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 60s; default_type application/octet-stream;
  server { listen 127.0.0.1:${httpPort}; root ${root}; }
  server { listen 127.0.0.1:${httpsPort} ssl; ssl_certificate ${dir}/srv.pem; ssl_certificate_key ${dir}/srv.key; root ${root}; } }
`,
  );
  const proc = await startPeerProcess(
    'nginx',
    nginx,
    ['-c', path.join(dir, 'nginx.conf'), '-p', dir],
    httpsPort,
    dir,
  );
  const caFile = path.join(dir, 'ca.pem');
  return {
    httpPort,
    httpsPort,
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    async close() {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
