// Snapshot templates: one booted guest per (image, QEMU version, accelerator, CPUs, memory,
// disk size, QEMU arguments), saved so that sandboxes start by restoring it instead of
// booting (restore.ts). A template is the guest's RAM in a file (written through a shared
// mapping while it ran), its device state (QMP `migrate` with x-ignore-shared: only the
// devices, some 30 KB) and its sandbox disk, in <templates>/<key digest>/ with meta.json.
// It is built in a folder of its own and renamed into place whole; before each use its meta
// must name the same key and its files the recorded sizes and state digest, else it is not
// used (the caller boots instead). Its QEMU arguments, the same as each restore's but for the
// paths, are template-args.ts's.

import { type ChildProcess, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { abortable } from './abortable.ts';
import { ControlClient, connectWithRetry, type Hello } from './control-client.ts';
import type { Accel } from './qemu-args.ts';
import { isRunning, recordOwner, settlesWithin, spawnQemu } from './qemu-process.ts';
import { Qmp, SNAPSHOT_CAPABILITIES, shellPath } from './qmp.ts';
import { createRuntimeDir, tailFile, vmRuntimePaths } from './runtime-dir.ts';
import { makeSandboxDisk } from './sandbox-disk.ts';
import { snapshotArgsDigest, snapshotQemuArgs, type TemplateShape } from './template-args.ts';
import { pruneTemplates } from './template-prune.ts';

/** Bumped when what a template holds changes in a way its key would not show. */
export const TEMPLATE_FORMAT = 1;
const MiB = 2 ** 20;
/** find()'s reason when no template was ever built for a key. */
export const NO_TEMPLATE = 'none built yet';
const BUILD_DEADLINE_MS = 180_000;

export interface TemplateKey {
  format: number;
  imageId: string;
  qemuVersion: string;
  accel: Accel;
  cpus: number;
  memoryMiB: number;
  diskMiB: number;
  /** sha256 of the QEMU arguments with every path replaced: a change there is a new template. */
  argsDigest: string;
}

export interface Template {
  dir: string;
  key: TemplateKey;
  ramFile: string;
  stateFile: string;
  diskFile: string;
  /** The template's boot log (its copies start their console log with it). */
  consoleLog: string;
  /** The agent's hello when the template booted (a restored guest sends none). */
  hello: Hello;
}

interface Meta {
  key: TemplateKey;
  /** The image's folder: a template whose image is gone is pruned. */
  imageDir: string;
  hello: Hello;
  stateBytes: number;
  stateSha256: string;
  createdAt: string;
}

/** The key's digest: the template's folder name. */
export function templateKeyId(key: TemplateKey): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32);
}

export interface VmTemplatesOptions {
  /** Where templates live, e.g. $WARDEN_HOME/vm-templates. */
  dir: string;
  /** The daemon's VM run folder (the template boot's sockets and logs, reaped like any VM's). */
  runDir: string;
  qemuBinary: string;
  proxyConnectCommand: string[];
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export class VmTemplates {
  #qemuVersion: Promise<string> | undefined;
  readonly #building = new Map<string, Promise<Template | undefined>>();
  readonly #aborts = new Set<AbortController>();
  readonly #buildDirs = new Set<string>();
  /** Keys whose template failed its build or a restore: not built again by this process. */
  readonly #failed = new Set<string>();
  #stopped = false;

  constructor(private readonly opts: VmTemplatesOptions) {}

  get dir(): string {
    return this.opts.dir;
  }

  async key(shape: TemplateShape): Promise<TemplateKey> {
    this.#qemuVersion ??= promisify(execFile)(this.opts.qemuBinary, ['--version'], { timeout: 10_000 }).then(
      (r) => r.stdout.split('\n')[0]!.trim(),
    );
    const argsDigest = snapshotArgsDigest(shape);
    return {
      format: TEMPLATE_FORMAT,
      imageId: shape.image.id,
      qemuVersion: await this.#qemuVersion,
      accel: shape.accel,
      cpus: shape.cpus,
      memoryMiB: shape.memoryMiB,
      diskMiB: shape.diskMiB,
      argsDigest,
    };
  }

  /** The template for `key` if one is there whole and unchanged; else why not. */
  find(key: TemplateKey): { template: Template } | { why: string } {
    const dir = path.join(this.opts.dir, templateKeyId(key));
    let meta: Meta;
    try {
      meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as Meta;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return {
        why: code === 'ENOENT' ? 'none built yet' : `unreadable meta.json: ${(err as Error).message}`,
      };
    }
    if (JSON.stringify(meta.key) !== JSON.stringify(key)) return { why: 'its meta.json names another key' };
    const t: Template = {
      dir,
      key,
      ramFile: path.join(dir, 'ram'),
      stateFile: path.join(dir, 'state'),
      diskFile: path.join(dir, 'disk.img'),
      consoleLog: path.join(dir, 'console.log'),
      hello: meta.hello,
    };
    try {
      if (statSync(t.ramFile).size !== key.memoryMiB * MiB) return { why: 'its RAM file has another size' };
      if (statSync(t.diskFile).size !== key.diskMiB * MiB) return { why: 'its disk has another size' };
      const state = readFileSync(t.stateFile);
      if (
        state.length !== meta.stateBytes ||
        createHash('sha256').update(state).digest('hex') !== meta.stateSha256
      )
        return { why: 'its device state file is damaged' };
    } catch (err) {
      return { why: `a file is missing: ${(err as Error).message}` };
    }
    // Its last use, for pruning the least recently used (template-prune.ts).
    try {
      const now = new Date();
      utimesSync(path.join(dir, 'meta.json'), now, now);
    } catch {}
    return { template: t };
  }

  /** Abandons the builds under way (their QEMU is killed) and starts no more; resolves once they ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const a of this.#aborts) a.abort(new Error('the VM templates were stopped'));
    await Promise.allSettled([...this.#building.values()]);
  }

  /**
   * Removes what no restore will use (template-prune.ts): build folders no build under way
   * owns, templates of a removed image, another QEMU or format, and the least recently used
   * beyond TEMPLATES_KEPT. Runs before each build.
   */
  prune(qemuVersion: string): void {
    const removed = pruneTemplates(this.opts.dir, {
      building: this.#buildDirs,
      format: TEMPLATE_FORMAT,
      qemuVersion,
    });
    if (removed.length > 0) this.opts.log?.('VM templates pruned', { removed: removed.length });
  }

  /** Removes a template that failed a restore; this process builds none for its key again. */
  discard(t: Template): void {
    this.#failed.add(templateKeyId(t.key));
    rmSync(t.dir, { recursive: true, force: true });
  }

  /** Builds the template for `shape` unless one is being built; errors are logged, not thrown. */
  buildLater(shape: TemplateShape): void {
    void this.key(shape).then(
      (key) => {
        const id = templateKeyId(key);
        if (this.#stopped || this.#failed.has(id) || this.#building.has(id) || 'template' in this.find(key))
          return;
        const job = this.build(shape).then(
          (t) => {
            this.opts.log?.('VM template built', { dir: t.dir });
            return t;
          },
          (err: Error) => {
            // Not tried again by this process: a build that cannot work must not cost every boot one.
            this.#failed.add(id);
            this.opts.log?.('VM template build failed', { image: shape.image.id, error: err.message });
            return undefined;
          },
        );
        this.#building.set(id, job);
        void job.finally(() => this.#building.delete(id));
      },
      (err: Error) => this.opts.log?.('VM template key failed', { error: err.message }),
    );
  }

  /** The build under way for `shape`, if any (tests and benches wait for it). */
  async pending(shape: TemplateShape): Promise<Template | undefined> {
    return this.#building.get(templateKeyId(await this.key(shape)));
  }

  /** Boots the template, saves it and puts it in place (replacing an old one of the same key). */
  async build(
    shape: TemplateShape,
    opts: { beforeSave?: (client: ControlClient) => Promise<void> } = {},
  ): Promise<Template> {
    const key = await this.key(shape);
    const id = templateKeyId(key);
    const nonce = randomBytes(4).toString('hex');
    const work = path.join(this.opts.dir, `.build-${id}-${nonce}`);
    const rt = vmRuntimePaths(this.opts.runDir, `template-${nonce}`);
    const qmpSocket = path.join(rt.dir, 'qmp.sock');
    this.prune(key.qemuVersion);
    this.#buildDirs.add(work);
    mkdirSync(path.join(work, 'empty'), { recursive: true, mode: 0o700 });
    let child: ChildProcess | undefined;
    let exited: Promise<void> = Promise.resolve();
    const abort = new AbortController();
    if (this.#stopped) throw new Error('the VM templates were stopped');
    this.#aborts.add(abort);
    const timer = setTimeout(
      () => abort.abort(new Error(`the template boot took over ${BUILD_DEADLINE_MS} ms`)),
      BUILD_DEADLINE_MS,
    );
    try {
      createRuntimeDir(rt);
      makeSandboxDisk(path.join(work, 'disk.img'), shape.diskMiB);
      const args = snapshotQemuArgs({
        shape,
        proxyPort: 9, // discard: a template makes no connections
        proxyConnectCommand: this.opts.proxyConnectCommand,
        controlSocket: rt.controlSocket,
        consoleLog: rt.consoleLog,
        pidFile: rt.pidFile,
        qmpSocket,
        diskPath: path.join(work, 'disk.img'),
        ramFile: { path: path.join(work, 'ram'), shared: true },
        incoming: false,
        emptyDir: path.join(work, 'empty'),
      });
      child = spawnQemu(this.opts.qemuBinary, args, rt);
      const spawned = child;
      spawned.once('error', (err) => abort.abort(new Error(`QEMU could not be started: ${err.message}`)));
      exited = new Promise<void>((r) => spawned.once('exit', () => r()));
      void exited.then(() =>
        abort.abort(new Error(`QEMU exited while the template booted: ${tailFile(rt.qemuLog, 3)}`)),
      );
      recordOwner(rt, child);
      const client = new ControlClient(await connectWithRetry(rt.controlSocket, abort.signal));
      const hello = await abortable(client.waitHello(), abort.signal);
      // An image from before restores: its agent would take a setup's entropy, clock and
      // mounts without applying them (copies sharing one CRNG state, no workspace).
      if (!hello.restorable)
        throw new Error(`the image's agent (${hello.agent}) cannot be restored: rebuild the image`);
      // The first commands' lazy costs (spawning, the exec path), paid once here for every copy.
      for (const stdin of [false, true]) {
        const p = client.exec({ argv: ['true'], stdin });
        p.stdout.resume();
        p.stderr.resume();
        if (stdin) p.end();
        await abortable(p.exited, abort.signal);
      }
      if (opts.beforeSave) await abortable(opts.beforeSave(client), abort.signal);
      const qmp = await Qmp.connect(qmpSocket, abort.signal);
      const stateFile = path.join(work, 'state');
      await qmp.command('stop', undefined, abort.signal);
      await qmp.command('migrate-set-capabilities', SNAPSHOT_CAPABILITIES, abort.signal);
      await qmp.command('migrate', { uri: `exec:cat > ${shellPath(stateFile)}` }, abort.signal);
      await qmp.migrationDone(abort.signal);
      // `quit` flushes the disk; QEMU may close the connection before it answers.
      await qmp.command('quit', undefined, abort.signal).catch(() => {});
      client.close('template saved');
      qmp.close();
      await settlesWithin(exited, 10_000);
      if (existsSync(rt.consoleLog)) copyFileSync(rt.consoleLog, path.join(work, 'console.log'));
      const state = readFileSync(stateFile);
      const meta: Meta = {
        key,
        imageDir: shape.image.dir,
        hello,
        stateBytes: state.length,
        stateSha256: createHash('sha256').update(state).digest('hex'),
        createdAt: new Date().toISOString(),
      };
      writeFileSync(path.join(work, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o600 });
      // The guest's RAM and device state, whatever umask QEMU and cat wrote them with: the owner's only.
      for (const name of readdirSync(work))
        chmodSync(path.join(work, name), name === 'empty' ? 0o700 : 0o600);
      const final = path.join(this.opts.dir, id);
      rmSync(final, { recursive: true, force: true });
      renameSync(work, final);
      const found = this.find(key);
      if (!('template' in found)) throw new Error(`the template just built is not usable: ${found.why}`);
      return found.template;
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
      this.#buildDirs.delete(work);
      if (child && isRunning(child)) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(work, { recursive: true, force: true });
      rmSync(rt.dir, { recursive: true, force: true });
    }
  }
}
