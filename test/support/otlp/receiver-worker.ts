// The OTLP test receiver in a worker thread (as a Collector would be: another core), for the
// export bench. Messages: {stats} → {size, duplicates, requests}; {close} → closes.

import { parentPort, Worker } from 'node:worker_threads';
import { OtlpReceiver } from './receiver.ts';

interface Stats {
  size: number;
  duplicates: number;
  requests: number;
}

if (parentPort && process.env.WARDEN_OTLP_WORKER === '1') {
  const port = parentPort;
  const rx = new OtlpReceiver(false);
  const url = await rx.listen();
  port.postMessage({ url });
  port.on('message', async (m: string) => {
    if (m === 'stats')
      port.postMessage({ size: rx.logs.size, duplicates: rx.duplicates, requests: rx.requests });
    if (m === 'close') {
      await rx.close();
      port.close();
    }
  });
}

export class ReceiverThread {
  private constructor(
    readonly worker: Worker,
    readonly url: string,
  ) {}

  static async start(): Promise<ReceiverThread> {
    // The worker loads this file through tsx (a worker does not inherit the loader).
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => m.tsImport(${JSON.stringify(import.meta.url)}, ${JSON.stringify(import.meta.url)}))`;
    const worker = new Worker(boot, { eval: true, env: { ...process.env, WARDEN_OTLP_WORKER: '1' } });
    const url = await new Promise<string>((resolve, reject) => {
      worker.once('message', (m: { url: string }) => resolve(m.url));
      worker.once('error', reject);
    });
    return new ReceiverThread(worker, url);
  }

  stats(): Promise<Stats> {
    return new Promise((resolve) => {
      this.worker.once('message', resolve);
      this.worker.postMessage('stats');
    });
  }

  async close(): Promise<void> {
    this.worker.postMessage('close');
    await new Promise((r) => setTimeout(r, 50));
    await this.worker.terminate();
  }
}
