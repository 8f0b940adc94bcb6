// The reviewer hook: a command (an argv array, never a shell) or a webhook (HTTPS, or HTTP on
// loopback) that sees a pending approval before a human does and answers allow, deny or ask.
// It fails closed: a timeout, a crash, a non-zero exit, output that is too long or not the
// verdict's JSON all deny, with the reason recorded. The command runs as the daemon's user
// with a scrubbed environment (no Warden token, no secrets: only the variables named below).

import { spawn } from 'node:child_process';
import os from 'node:os';
import { Value } from '@sinclair/typebox/value';
import { WardenError } from '../api/errors.ts';
import type { ApprovalView } from '../api/index.ts';
import { type ReviewerVerdict, ReviewerVerdictSchema } from '../api/reviewer-types.ts';

export type ReviewerHookConfig =
  | { command: string[]; timeoutMs?: number }
  | { url: string; timeoutMs?: number };

/** The hook's answer; `failed` when the hook itself did not answer properly (then: deny). */
export type ReviewOutcome = ReviewerVerdict & { failed?: boolean };

export const REVIEW_DEFAULT_TIMEOUT_MS = 10_000;
export const REVIEW_MAX_TIMEOUT_MS = 120_000;
/** Bytes of output (stdout, or the response body) read before the hook is refused. */
export const REVIEW_MAX_OUTPUT = 64 * 1024;
/** Reviews running at once; more wait their turn (their approvals still expire on time). */
export const REVIEW_CONCURRENCY = 4;
/** The only variables the command inherits. */
const KEPT_ENV = ['PATH', 'LANG', 'LC_ALL', 'TZ', 'HOME', 'TMPDIR'] as const;

/** What the hook reads on stdin / in the POST body. */
export interface ReviewRequest {
  version: 1;
  approval: ApprovalView;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** A config as given (daemon option, environment): checked, with a clear error for each problem. */
export function checkReviewerHook(config: ReviewerHookConfig): ReviewerHookConfig {
  const bad = (message: string, hint: string) => new WardenError('BadRequest', message, hint);
  const t = config.timeoutMs ?? REVIEW_DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(t) || t < 100 || t > REVIEW_MAX_TIMEOUT_MS)
    throw bad(`reviewer hook timeout ${t} ms is out of range`, `use 100 to ${REVIEW_MAX_TIMEOUT_MS} ms`);
  if ('command' in config) {
    const argv = config.command;
    if (
      !Array.isArray(argv) ||
      argv.length === 0 ||
      argv.some((a) => typeof a !== 'string' || a.includes('\0'))
    )
      throw bad(
        'the reviewer hook command must be a non-empty array of strings',
        'e.g. ["/usr/local/bin/review", "--strict"]',
      );
    if (argv[0] === '')
      throw bad('the reviewer hook command has an empty program name', 'name the program first');
    return { command: [...argv], timeoutMs: t };
  }
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw bad(
      `the reviewer hook URL ${JSON.stringify(config.url)} is not a URL`,
      'e.g. https://review.example.com/warden',
    );
  }
  if (url.username || url.password)
    throw bad(
      'the reviewer hook URL carries credentials',
      'authenticate the hook some other way (not in the URL)',
    );
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw bad(
      `the reviewer hook URL must be HTTPS (or HTTP on loopback), not ${url.protocol}//${url.host}`,
      'use https://, or http://127.0.0.1:PORT for a local service',
    );
  return { url: url.toString(), timeoutMs: t };
}

function parseVerdict(text: string, from: string): ReviewOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return failed(`${from} is not JSON`);
  }
  if (!Value.Check(ReviewerVerdictSchema, json))
    return failed(`${from} is not {"decision":"allow"|"deny"|"ask","reason":"..."}`);
  return json;
}

function failed(why: string): ReviewOutcome {
  return { decision: 'deny', reason: `reviewer hook failed (${why}): denied`, failed: true };
}

function scrubbedEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of KEPT_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

const CLOSED_FIRST = 'the approval closed first';

function runCommand(
  argv: string[],
  input: string,
  timeoutMs: number,
  closed?: AbortSignal,
): Promise<ReviewOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: ReviewOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(o);
    };
    const child = spawn(argv[0] as string, argv.slice(1), {
      shell: false,
      env: scrubbedEnv(),
      cwd: os.tmpdir(),
      stdio: ['pipe', 'pipe', 'ignore'],
      detached: true,
    });
    const killAll = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      killAll();
      finish(failed(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    closed?.addEventListener(
      'abort',
      () => {
        killAll();
        finish(failed(CLOSED_FIRST));
      },
      { once: true },
    );
    const chunks: Buffer[] = [];
    let size = 0;
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > REVIEW_MAX_OUTPUT) {
        killAll();
        return finish(failed(`printed more than ${REVIEW_MAX_OUTPUT} bytes`));
      }
      chunks.push(c);
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish(failed(`could not start ${argv[0]}: ${e.code ?? e.message}`)),
    );
    child.on('close', (code, signal) => {
      if (signal) return finish(failed(`killed by ${signal}`));
      if (code !== 0) return finish(failed(`exit code ${code}`));
      finish(parseVerdict(Buffer.concat(chunks).toString('utf8').trim(), 'its output'));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

async function callWebhook(
  url: string,
  input: string,
  timeoutMs: number,
  closed?: AbortSignal,
): Promise<ReviewOutcome> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = closed ? AbortSignal.any([deadline, closed]) : deadline;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'warden-reviewer-hook' },
      body: input,
      redirect: 'manual',
      signal,
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      return failed(`HTTP status ${res.status}`);
    }
    const reader = res.body?.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (reader) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > REVIEW_MAX_OUTPUT) {
        await reader.cancel();
        return failed(`answered more than ${REVIEW_MAX_OUTPUT} bytes`);
      }
      chunks.push(value);
    }
    return parseVerdict(Buffer.concat(chunks).toString('utf8').trim(), 'its response');
  } catch (error) {
    if (closed?.aborted) return failed(CLOSED_FIRST);
    if (deadline.aborted) return failed(`no answer within ${timeoutMs} ms`);
    return failed(`the request failed: ${(error as Error).message}`);
  }
}

/** Runs the hook for approvals, at most REVIEW_CONCURRENCY at once. */
export class ReviewerHook {
  readonly #config: ReviewerHookConfig;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(config: ReviewerHookConfig) {
    this.#config = checkReviewerHook(config);
  }

  /** Where it answers from, for logs and the status. */
  get describe(): string {
    return 'command' in this.#config ? `command ${this.#config.command[0]}` : `webhook ${this.#config.url}`;
  }

  /** The hook's verdict; `closed` aborts a run (or its wait for a turn) when the approval closes first. */
  async review(approval: ApprovalView, closed?: AbortSignal): Promise<ReviewOutcome> {
    if (this.#running >= REVIEW_CONCURRENCY) await new Promise<void>((go) => this.#waiting.push(go));
    this.#running++;
    try {
      if (closed?.aborted) return failed(CLOSED_FIRST);
      const input = `${JSON.stringify({ version: 1, approval } satisfies ReviewRequest)}\n`;
      const t = this.#config.timeoutMs ?? REVIEW_DEFAULT_TIMEOUT_MS;
      return 'command' in this.#config
        ? await runCommand(this.#config.command, input, t, closed)
        : await callWebhook(this.#config.url, input, t, closed);
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
