// Entry point of the guest agent inside the VM: opens the virtio-serial control port and
// wires it to a GuestAgent. Started (and restarted if it dies) by busybox init.

import { closeSync, openSync, read, readdirSync, readFileSync, write } from 'node:fs';
import { FrameDecoder } from '../../api/frames.ts';
import { GUEST_BUSYBOX } from '../image/guest-files.ts';
import { GuestAgent } from './agent.ts';
import { SpareShell } from './spare-shell.ts';

const PORT_NAME = 'warden.ctl';
const HIGH_WATER = 1024 * 1024;

/** The control port: the virtio-serial port named warden.ctl, else the first /dev/vport*p1. */
function findPort(): string | undefined {
  try {
    for (const dev of readdirSync('/sys/class/virtio-ports')) {
      const name = readFileSync(`/sys/class/virtio-ports/${dev}/name`, 'utf8').trim();
      if (name === PORT_NAME) return `/dev/${dev}`;
    }
  } catch {}
  const dev = readdirSync('/dev').find((d) => /^vport\d+p1$/.test(d));
  return dev ? `/dev/${dev}` : undefined;
}

function log(msg: string): void {
  process.stderr.write(`warden-agent: ${msg}\n`);
}

class PortWriter {
  private queue: Buffer[] = [];
  private queued = 0;
  private writing = false;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly fd: number) {}

  write(data: Buffer): boolean {
    this.queue.push(data);
    this.queued += data.length;
    this.pump();
    return this.queued < HIGH_WATER;
  }

  onDrain(fn: () => void): void {
    if (this.queued < HIGH_WATER) fn();
    else this.drainWaiters.push(fn);
  }

  private pump(): void {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const buf = this.queue.length === 1 ? this.queue[0]! : Buffer.concat(this.queue);
    this.queue = [];
    const writeFrom = (offset: number): void => {
      write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
        if (err) {
          log(`write failed: ${err.message}`);
          process.exit(1);
        }
        if (offset + n < buf.length) return writeFrom(offset + n);
        this.queued -= buf.length;
        this.writing = false;
        if (this.queued < HIGH_WATER) {
          const waiters = this.drainWaiters;
          this.drainWaiters = [];
          for (const w of waiters) w();
        }
        this.pump();
      });
    };
    writeFrom(0);
  }
}

function main(): void {
  const path = findPort();
  if (!path) {
    log('no control port found');
    process.exit(1);
  }
  const fd = openSync(path, 'r+');
  const writer = new PortWriter(fd);
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  // agent.sh hides the CA variable from this Node (the bundle only exists after setup).
  if (baseEnv.WARDEN_NODE_EXTRA_CA_CERTS) baseEnv.NODE_EXTRA_CA_CERTS = baseEnv.WARDEN_NODE_EXTRA_CA_CERTS;
  delete baseEnv.WARDEN_NODE_EXTRA_CA_CERTS;
  // A full collection once commands pause (the launcher exposes gc): the garbage of the boot
  // and of the last command is then collected while the guest is idle, not during the next
  // command (a pool VM's first command took 60-150 ms longer, 2-10 s after its warm-up runs).
  const collect = (globalThis as { gc?: () => void }).gc;
  const spare = new SpareShell({ file: GUEST_BUSYBOX, args: ['sh', '-s'] }, collect);
  const agent = new GuestAgent({ io: writer, baseEnv, spare });
  spare.prepare();
  const decoder = new FrameDecoder();
  const buf = Buffer.alloc(256 * 1024);
  const readLoop = (): void => {
    read(fd, buf, 0, buf.length, null, (err, n) => {
      if (err) {
        log(`read failed: ${err.message}`);
        closeSync(fd);
        process.exit(1);
      }
      // 0 bytes: the host side is not connected (yet); poll until it is.
      if (n === 0) return void setTimeout(readLoop, 20);
      try {
        for (const frame of decoder.push(Buffer.from(buf.subarray(0, n)))) agent.handle(frame);
      } catch (e) {
        log(`bad frame: ${(e as Error).message}`);
        process.exit(1);
      }
      readLoop();
    });
  };
  agent.hello();
  readLoop();
}

main();
