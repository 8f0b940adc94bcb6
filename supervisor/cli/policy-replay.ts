// `warden policy diff A B --against-audit`: the running daemon replays the change over the
// requests its audit trail recorded (a `policy.replay` task, followed here; Ctrl-C cancels
// it), and this prints the recorded requests decided differently, grouped by sandbox.

import { readFile } from 'node:fs/promises';
import type { ReplayResult } from '../api/replay-types.ts';
import { parseTimeArg } from '../audit/index.ts';
import type { ApiClient } from '../client/api-client.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { followTask } from './task-progress.ts';

export interface AgainstAudit {
  before: string;
  after: string;
  base?: string;
  since?: string;
  sandbox?: string;
  say: (line: string) => void;
  /** Give up waiting after this long (default 10 minutes). */
  timeoutMs?: number;
}

async function text(file: string): Promise<{ yaml: string; source: string }> {
  try {
    return { yaml: await readFile(file, 'utf8'), source: file };
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code}`, ExitCode.environment);
  }
}

/** Checks --since before anything is asked of the daemon. */
export function checkSince(since: string | undefined): void {
  if (since === undefined) return;
  try {
    parseTimeArg(since, Date.now());
  } catch (error) {
    throw new CliError(`--since: ${(error as Error).message}`, ExitCode.usage);
  }
}

export async function replayAgainstAudit(client: ApiClient, o: AgainstAudit): Promise<ReplayResult> {
  checkSince(o.since);
  const body = {
    change: {
      kind: 'documents' as const,
      before: await text(o.before),
      after: await text(o.after),
      ...(o.base ? { base: await text(o.base) } : {}),
    },
    ...(o.since ? { since: o.since } : {}),
    ...(o.sandbox ? { sandbox: o.sandbox } : {}),
  };
  const title = `What if: ${o.before} → ${o.after}`;
  const follow = followTask(client, {
    kind: 'policy.replay',
    match: (t) => t.title === title,
    say: o.say,
    everyMs: 2000,
  });
  try {
    const { taskId } = await client.call('POST /v1/policy/replay', { body });
    const deadline = Date.now() + (o.timeoutMs ?? 600_000);
    for (;;) {
      const result = await client.call('GET /v1/policy/replay/:taskId', { params: { taskId } });
      if (result.state === 'done') return result;
      if (result.state === 'cancelled') throw new CliError('the replay was cancelled', ExitCode.failed);
      if (result.state === 'failed')
        throw new CliError(`the replay failed: ${result.error ?? 'unknown error'}`, ExitCode.failed);
      if (Date.now() > deadline)
        throw new CliError('the replay did not end in time', ExitCode.failed, `see: warden tasks`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    follow.stop();
  }
}
