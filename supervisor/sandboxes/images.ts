// The guest images the daemon boots: content-addressed folders under $WARDEN_HOME/images.
// Found by id (or a prefix of it) or by name; with no name asked, the newest image named
// like the default ($WARDEN_IMAGE, else "full": the Debian userland agents need). Hashes
// are checked by the VM driver before every boot, so finding an image reads only its
// manifest. With no default image at all, the first sandbox builds it — in a child
// process (`warden image build`), since a build runs commands for seconds to minutes and
// the daemon's event loop must keep serving; its progress lines go to the daemon's log and,
// given a task board, to the build's task (with a cancel that stops the whole build).

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WardenError } from '../api/errors.ts';
import type { ImageView } from '../api/index.ts';
import { findWardenBin } from '../home/bin.ts';
import { runTask, type TaskBoard } from '../tasks/index.ts';
import {
  defaultImageName,
  type ImageKind,
  imageAt,
  imageBuildHint,
  imageKind,
  imageSize,
  listImages,
  type VmImage,
} from '../vm/index.ts';

/** The command that builds an image of `kind` into `dir` and prints its id on stdout. */
export type ImageBuildCommand = (kind: ImageKind, dir: string) => string[];

export const defaultBuildCommand: ImageBuildCommand = (kind, dir) => {
  const bin = findWardenBin();
  if (!bin) throw new Error('cannot find bin/warden.mjs to run: warden image build');
  return [process.execPath, bin, 'image', 'build', kind, '--images', dir];
};

export interface ImageStoreOptions {
  defaultName?: string;
  buildCommand?: ImageBuildCommand;
  /** Builds show as tasks here (progress and cancel in every client), started by `user`. */
  tasks?: { board: TaskBoard; user: string };
}

export class ImageStore {
  readonly dir: string;
  readonly defaultName: string;
  readonly #log: (message: string) => void;
  readonly #buildCommand: ImageBuildCommand;
  readonly #building = new Map<ImageKind, Promise<VmImage>>();
  readonly #tasks: ImageStoreOptions['tasks'];

  constructor(dir: string, log: (message: string) => void, opts: ImageStoreOptions = {}) {
    this.dir = dir;
    this.#log = log;
    this.defaultName = opts.defaultName ?? defaultImageName();
    this.#buildCommand = opts.buildCommand ?? defaultBuildCommand;
    this.#tasks = opts.tasks;
  }

  list(): ImageView[] {
    return listImages(this.dir).map(({ dir, manifest }) => ({
      id: manifest.id,
      name: manifest.name,
      dir,
      builtAt: manifest.builtAt,
      kernelVersion: manifest.kernel.version,
      sizeBytes: imageSize(manifest),
    }));
  }

  /** The image named `name` (id, id prefix of 6+ characters, or name), else the newest default one. Not hashed. */
  find(name: string = this.defaultName): VmImage | undefined {
    const hit = listImages(this.dir).find(
      ({ manifest }) =>
        manifest.id === name ||
        (name.length >= 6 && manifest.id.startsWith(name.toLowerCase())) ||
        manifest.name === name,
    );
    return hit ? imageAt(hit.dir, hit.manifest) : undefined;
  }

  /** An image to probe the accelerator with: the default one, else the newest of any, else the default built. */
  async forProbe(): Promise<VmImage> {
    const newest = listImages(this.dir)[0];
    return this.find() ?? (newest ? imageAt(newest.dir, newest.manifest) : await this.resolve());
  }

  /** Like find, but builds the image when it is a kind Warden knows how to build. */
  async resolve(name: string = this.defaultName): Promise<VmImage> {
    const found = this.find(name);
    if (found) return found;
    const kind = imageKind(name);
    if (!kind) {
      throw new WardenError(
        'ImageNotFound',
        `no guest image ${JSON.stringify(name)} in ${this.dir}`,
        `list them with: warden image ls; build one with: warden image build [full|minimal]`,
      );
    }
    return this.build(kind);
  }

  /** Builds an image (one build per kind at a time; identical builds land in the same folder). */
  build(kind: ImageKind, log: (message: string) => void = this.#log): Promise<VmImage> {
    let building = this.#building.get(kind);
    if (!building) {
      const tasks = this.#tasks;
      building = (
        tasks
          ? runTask(
              tasks.board,
              {
                kind: 'image.build',
                title: `Building the ${kind} guest image`,
                user: tasks.user,
                cancellable: true,
              },
              (task) =>
                this.#buildInChild(
                  kind,
                  (line) => {
                    task.step(line);
                    log(line);
                  },
                  task.signal,
                ),
            )
          : this.#buildInChild(kind, log)
      ).finally(() => this.#building.delete(kind));
      this.#building.set(kind, building);
    }
    return building.catch((error: Error) => {
      if (error instanceof WardenError && error.name === 'Cancelled') throw error;
      throw new WardenError(
        'ImageBuildFailed',
        `building the ${kind} guest image failed: ${error.message}`,
        imageBuildHint(kind),
      );
    });
  }

  #buildInChild(kind: ImageKind, log: (message: string) => void, signal?: AbortSignal): Promise<VmImage> {
    return new Promise((resolve, reject) => {
      const [cmd, ...args] = this.#buildCommand(kind, this.dir);
      // The build's scratch files go in a folder of ours, removed whatever the outcome; the
      // child leads its own process group so a cancel stops the tools it runs too.
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const scratch = mkdtempSync(path.join(this.dir, '.build-'));
      const child = spawn(cmd!, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, TMPDIR: scratch },
      });
      const stop = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {}
      };
      signal?.addEventListener('abort', stop, { once: true });
      let stdout = '';
      let pending = '';
      const tail: string[] = [];
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        const lines = (pending + d).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          log(line.replace(/^image: /, ''));
          tail.push(line);
          if (tail.length > 8) tail.shift();
        }
      });
      const finish = () => {
        signal?.removeEventListener('abort', stop);
        rmSync(scratch, { recursive: true, force: true });
      };
      child.once('error', (error) => {
        finish();
        reject(new Error(`${cmd} could not be started: ${error.message}`));
      });
      child.once('close', (code, sig) => {
        finish();
        if (pending.trim()) tail.push(pending);
        const id = stdout.trim().split('\n').pop() ?? '';
        const image = code === 0 && id ? this.find(id) : undefined;
        if (image) return resolve(image);
        if (signal?.aborted) return reject(new Error('cancelled'));
        const why = sig ? `signal ${sig}` : `exit code ${code}`;
        reject(new Error(`${why}${tail.length ? `: ${tail.join(' / ')}` : ''}`));
      });
    });
  }
}
