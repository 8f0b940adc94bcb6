// A real npm registry for tests: Verdaccio 6.8 started on 127.0.0.1 with a temporary config
// and storage, packages published into it over its publish API (the PUT npm publish sends),
// publish times set by editing its storage, and real `npm install` run through a listener.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { makeTempDir } from './temp-dir.ts';

export interface PackageSpec {
  name: string;
  version: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
}

export interface RegistryOptions {
  /** Every read and publish needs a user's token (`access: $authenticated`), as private registries do. */
  auth?: boolean;
  /** The address clients use (tarball URLs in packuments), when a front other than `url` serves it. */
  publicUrl?: string;
}

export interface TestRegistry {
  port: number;
  url: string;
  storage: string;
  /** With `auth`: the token of the user the registry was started with (npm's `_authToken`). */
  token?: string;
  publish(spec: PackageSpec): Promise<void>;
  /** Set a version's publish time in the registry's storage. */
  setTime(name: string, version: string, when: Date): void;
  /**
   * Give a version a provenance attestation in the registry's storage: `dist.attestations` as
   * registry.npmjs.org serves it (a URL to the bundle and the SLSA predicate type).
   */
  setAttested(name: string, version: string): void;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Where Verdaccio's command is: WARDEN_TEST_VERDACCIO, else the one in node_modules. */
function verdaccioBin(): string {
  if (process.env.WARDEN_TEST_VERDACCIO) return process.env.WARDEN_TEST_VERDACCIO;
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
}

function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    'ascii',
  );
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\u000000', 257, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A gzipped tarball with `package/<file>` entries, as npm pack makes. */
export function packTarball(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [file, text] of Object.entries(files)) {
    const body = Buffer.from(text, 'utf8');
    parts.push(
      tarHeader(`package/${file}`, body.length),
      body,
      Buffer.alloc((512 - (body.length % 512)) % 512),
    );
  }
  parts.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(parts));
}

/** Adds a user over the API `npm adduser` calls; the token Verdaccio issues for it. */
async function addUser(url: string): Promise<string> {
  const name = 'warden-test';
  const r = await fetch(`${url}/-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password: 'test-password-1',
      type: 'user',
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await r.json()) as { token?: string };
  if (!r.ok || !body.token)
    throw new Error(`adding the registry's user failed: ${r.status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const access = opts.auth ? '$authenticated' : '$all';
  const temp = makeTempDir('warden-verdaccio-');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const storage = path.join(temp.dir, 'storage');
  mkdirSync(storage);
  const config = path.join(temp.dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${storage}`,
      'auth:',
      '  htpasswd:',
      `    file: ${path.join(temp.dir, 'htpasswd')}`,
      'uplinks: {}',
      'packages:',
      "  '@*/*':",
      `    access: ${access}`,
      `    publish: ${access}`,
      "  '**':",
      `    access: ${access}`,
      `    publish: ${access}`,
      'log: { type: stdout, format: json, level: error }',
      'security:',
      '  api:',
      '    legacy: true',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    process.execPath,
    [verdaccioBin(), '--config', config, '--listen', `127.0.0.1:${port}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        ...(opts.publicUrl ? { VERDACCIO_PUBLIC_URL: opts.publicUrl } : {}),
      },
    },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/-/ping`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      temp.dispose();
      throw new Error(`Verdaccio did not start on ${url}: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const dirOf = (name: string) => path.join(storage, ...name.split('/'));
  const token = opts.auth ? await addUser(url) : undefined;
  const publicUrl = (opts.publicUrl ?? url).replace(/\/$/, '');
  return {
    port,
    url,
    storage,
    ...(token ? { token } : {}),
    async publish(spec) {
      const bare = spec.name.startsWith('@') ? spec.name.slice(spec.name.indexOf('/') + 1) : spec.name;
      const manifest = {
        name: spec.name,
        version: spec.version,
        description: `test package ${spec.name}`,
        main: 'index.js',
        ...(spec.scripts ? { scripts: spec.scripts } : {}),
        ...(spec.dependencies ? { dependencies: spec.dependencies } : {}),
      };
      const scriptFiles: Record<string, string> = {};
      for (const [k, v] of Object.entries(spec.scripts ?? {})) {
        const m = /^node (\S+\.js)$/.exec(v);
        if (m?.[1]) scriptFiles[m[1]] = `require('fs').writeFileSync('${k}-ran', '${k}');\n`;
      }
      const tgz = packTarball({
        'package.json': JSON.stringify(manifest, null, 2),
        'index.js': `module.exports = ${JSON.stringify(`${spec.name}@${spec.version}`)};\n`,
        ...scriptFiles,
      });
      const file = `${bare}-${spec.version}.tgz`;
      const body = {
        _id: spec.name,
        name: spec.name,
        description: manifest.description,
        'dist-tags': { latest: spec.version },
        versions: {
          [spec.version]: {
            ...manifest,
            _id: `${spec.name}@${spec.version}`,
            dist: {
              shasum: createHash('sha1').update(tgz).digest('hex'),
              integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`,
              tarball: `${publicUrl}/${spec.name}/-/${file}`,
            },
          },
        },
        _attachments: {
          [file]: {
            content_type: 'application/octet-stream',
            data: tgz.toString('base64'),
            length: tgz.length,
          },
        },
      };
      const r = await fetch(`${url}/${spec.name.replace('/', '%2f')}`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      if (!r.ok)
        throw new Error(`publishing ${spec.name}@${spec.version} failed: ${r.status} ${await r.text()}`);
    },
    setTime(name, version, when) {
      const file = path.join(dirOf(name), 'package.json');
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      doc.time[version] = when.toISOString();
      writeFileSync(file, JSON.stringify(doc, null, 2));
    },
    setAttested(name, version) {
      const file = path.join(dirOf(name), 'package.json');
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      doc.versions[version].dist.attestations = {
        url: `${url}/-/npm/v1/attestations/${name}@${version}`,
        provenance: { predicateType: 'https://slsa.dev/provenance/v1' },
      };
      writeFileSync(file, JSON.stringify(doc, null, 2));
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      temp.dispose();
    },
  };
}

export interface NpmRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Real `npm` in `cwd` through a listener's environment, against `registry`. */
export function runNpm(
  cwd: string,
  env: Record<string, string>,
  registry: string,
  args: string[],
  timeoutMs = 90_000,
): Promise<NpmRun> {
  const cache = path.join(cwd, '.npm-cache');
  return new Promise((resolve) => {
    execFile(
      'npm',
      [
        ...args,
        '--registry',
        `${registry}/`,
        '--cache',
        cache,
        '--no-audit',
        '--no-fund',
        '--no-update-notifier',
        '--fetch-retries',
        '0',
      ],
      {
        cwd,
        timeout: timeoutMs,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: cwd,
          ...env,
          npm_config_proxy: env.HTTP_PROXY ?? '',
        },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
