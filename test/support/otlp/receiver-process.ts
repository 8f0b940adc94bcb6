// The counting OTLP receiver (counting-receiver.ts) in a child process, for the export bench:
// the sender's process then holds only the sender, so its CPU time is the sender's alone, and
// the receiver's CPU time is read from the child. Messages: 'stats' → {stats, cpuUs}; 'close'.

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CountingReceiver, type CountingStats } from './counting-receiver.ts';

interface Reply {
  stats: CountingStats;
  /** The receiver process's CPU time since it started listening (user + system), µs. */
  cpuUs: number;
}

if (process.env.WARDEN_OTLP_RECEIVER_CHILD === '1' && process.send) {
  const rx = new CountingReceiver(process.env.WARDEN_OTLP_RECEIVER_SPEC === '1');
  const url = await rx.listen();
  const started = process.cpuUsage();
  process.send({ url });
  process.on('message', async (m: string) => {
    if (m === 'stats') {
      const used = process.cpuUsage(started);
      process.send?.({ stats: rx.report(), cpuUs: used.user + used.system } satisfies Reply);
    }
    if (m === 'close') {
      await rx.close();
      process.disconnect();
    }
  });
}

export class ReceiverProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** `spec`: also check every record against the OTLP JSON rules (the tests' full check). */
  static async start(o: { spec?: boolean } = {}): Promise<ReceiverProcess> {
    const child = fork(fileURLToPath(import.meta.url), [], {
      // A young generation sized for requests of megabytes (a parsed request is ~20 MB of
      // short-lived objects; the default made several scavenges copy each one): ~6 % less CPU.
      execArgv: ['--import', 'tsx', '--max-semi-space-size=64'],
      env: { ...process.env, WARDEN_OTLP_RECEIVER_CHILD: '1', WARDEN_OTLP_RECEIVER_SPEC: o.spec ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the OTLP receiver process did not start in 30 s')),
        30_000,
      );
      child.once('message', (m: { url: string }) => {
        clearTimeout(timer);
        resolve(m.url);
      });
      child.once('exit', (code) => reject(new Error(`the OTLP receiver process exited (${code})`)));
    });
    return new ReceiverProcess(child, url);
  }

  stats(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the OTLP receiver process did not answer in 30 s')),
        30_000,
      );
      this.child.once('message', (m: Reply) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.send('stats');
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send('close');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
