// A booted guest saved and restored with QEMU's migration, by hand (the proof that the
// product's templates grew from: supervisor/vm/vm-template.ts and restore.ts): boots a template with its RAM in a file, saves the device
// state once the agent said hello (x-ignore-shared: the RAM stays in the file), then
// restores it several times, each on a copy of the template's disk and a private mapping of
// the RAM file, and times QEMU's spawn to the restored guest running, to a first command done
// (one that writes on the sandbox disk) and a second. Prints JSON; see
// supervisor/vm/image/README.md for what the product adds (reseed, clock, mounts, checks).
//   node --import tsx test/bench/vm-restore.ts [restores]

import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ControlClient, connectWithRetry } from '../../supervisor/vm/control-client.ts';
import { buildQemuArgs } from '../../supervisor/vm/qemu-args.ts';
import { makeSandboxDisk } from '../../supervisor/vm/sandbox-disk.ts';
import { buildTestImage } from '../vm/image.ts';

const MEMORY_MIB = 512;

/** One QMP connection: commands in order, and waits for text (a reply or an event). */
class Qmp {
  #buf = '';
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d) => {
      this.#buf += d;
    });
  }

  static async open(file: string, signal: AbortSignal): Promise<Qmp> {
    while (!existsSync(file)) {
      signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 2));
    }
    const qmp = new Qmp(await connectWithRetry(file, signal));
    await qmp.waitFor(/"QMP"/, signal);
    qmp.send('qmp_capabilities');
    return qmp;
  }

  send(execute: string, args?: object): void {
    this.socket.write(`${JSON.stringify(args ? { execute, arguments: args } : { execute })}\n`);
  }

  async waitFor(re: RegExp, signal: AbortSignal): Promise<string> {
    while (!re.test(this.#buf)) {
      signal.throwIfAborted();
      if (/"error"/.test(this.#buf)) throw new Error(`QMP: ${this.#buf}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    return this.#buf;
  }

  close(): void {
    this.socket.end();
  }
}

const ms = (t: bigint) => Math.round(Number(process.hrtime.bigint() - t) / 1e6);

async function runOnce(client: ControlClient, argv: string[]): Promise<number | null> {
  const p = client.exec({ argv, stdin: false });
  p.stdout.resume();
  p.stderr.resume();
  return (await p.exited).code;
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

export async function benchVmRestore(restores = 3) {
  const { image } = await buildTestImage();
  const work = mkdtempSync(path.join(os.tmpdir(), 'wrestore-'));
  const proxy = net.createServer((c) => c.end());
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const proxyPort = (proxy.address() as net.AddressInfo).port;
  const ramFile = path.join(work, 'ram');
  const stateFile = path.join(work, 'state');
  const templateDisk = path.join(work, 'disk-template.img');
  const qemuArgs = (tag: string, disk: string, share: boolean) => [
    ...buildQemuArgs({
      accel: 'tcg',
      kernelPath: image.kernelPath,
      initrdPath: image.initrdPath,
      ...(image.rootfsPath ? { rootfsPath: image.rootfsPath } : {}),
      diskPath: disk,
      cpus: 1,
      memoryMiB: MEMORY_MIB,
      proxyPort,
      proxyConnectCommand: ['busybox', 'nc', '127.0.0.1', '{port}'],
      controlSocket: path.join(work, `${tag}.ctl`),
      consoleLog: path.join(work, `${tag}.console`),
      pidFile: path.join(work, `${tag}.pid`),
    }),
    '-object',
    `memory-backend-file,id=mem,size=${MEMORY_MIB}M,mem-path=${ramFile},share=${share ? 'on' : 'off'}`,
    '-M',
    'microvm,memory-backend=mem',
    '-qmp',
    `unix:${path.join(work, `${tag}.qmp`)},server=on,wait=off`,
  ];
  const children: ChildProcess[] = [];
  try {
    const signal = AbortSignal.timeout(300_000);
    makeSandboxDisk(templateDisk, 8192);
    let t = process.hrtime.bigint();
    const template = spawn('qemu-system-x86_64', qemuArgs('template', templateDisk, true), {
      stdio: 'ignore',
    });
    children.push(template);
    const tc = new ControlClient(await connectWithRetry(path.join(work, 'template.ctl'), signal));
    await tc.waitHello();
    const bootToHelloMs = ms(t);
    t = process.hrtime.bigint();
    const tq = await Qmp.open(path.join(work, 'template.qmp'), signal);
    tq.send('stop');
    tq.send('migrate-set-capabilities', {
      capabilities: [
        { capability: 'x-ignore-shared', state: true },
        { capability: 'events', state: true },
      ],
    });
    tq.send('migrate', { uri: `exec:cat > ${stateFile}` });
    await tq.waitFor(/"status": "completed"/, signal);
    const saveMs = ms(t);
    tq.close();
    await killed(template);
    const runs: { runningMs: number; firstCommandMs: number; secondCommandMs: number }[] = [];
    for (let i = 0; i < restores; i++) {
      const disk = path.join(work, `disk-${i}.img`);
      copyFileSync(templateDisk, disk);
      t = process.hrtime.bigint();
      const child = spawn('qemu-system-x86_64', [...qemuArgs(`r${i}`, disk, false), '-incoming', 'defer'], {
        stdio: 'ignore',
      });
      children.push(child);
      const q = await Qmp.open(path.join(work, `r${i}.qmp`), signal);
      q.send('migrate-set-capabilities', {
        capabilities: [
          { capability: 'x-ignore-shared', state: true },
          { capability: 'events', state: true },
        ],
      });
      q.send('migrate-incoming', { uri: `exec:cat ${stateFile}` });
      await q.waitFor(/"status": "completed"/, signal);
      q.send('cont'); // the template was stopped when saved, so its copy waits to be told
      await q.waitFor(/"event": "RESUME"/, signal);
      q.close();
      const runningMs = ms(t);
      const client = new ControlClient(await connectWithRetry(path.join(work, `r${i}.ctl`), signal));
      const code = await runOnce(client, [
        '/opt/warden/bin/busybox',
        'sh',
        '-c',
        'echo hi > /tmp/x && cat /tmp/x',
      ]);
      if (code !== 0) throw new Error(`the first command in restored guest ${i} exited ${code}`);
      const firstCommandMs = ms(t);
      const t2 = process.hrtime.bigint();
      await runOnce(client, ['true']);
      runs.push({ runningMs, firstCommandMs, secondCommandMs: ms(t2) });
      client.close('done');
      await killed(child);
    }
    return {
      bootToHelloMs,
      saveMs,
      stateBytes: statSync(stateFile).size,
      restores: runs,
      loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    };
  } finally {
    for (const c of children) await killed(c);
    proxy.close();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await benchVmRestore(Number(process.argv[2] ?? 3)), null, 2));
}
