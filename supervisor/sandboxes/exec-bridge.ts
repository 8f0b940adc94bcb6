// Joins an upgraded API connection to a command running in a VM: the client's stdin,
// resize and signal frames go to the command; its output and exit come back as frames
// (supervisor/api/frames.ts). If the client goes away first, the command is hung up.
// `onEnded` runs once, when the exit has been sent or the client has gone.

import type net from 'node:net';
import { encodeControl, encodeData, type Frame, FrameDecoder, FrameType } from '../api/frames.ts';
import { EXEC_CHANNEL } from '../api/index.ts';
import type { ExecProcess } from '../vm/index.ts';

const HANGUP_GRACE_MS = 2000;

export function bridgeExec(
  proc: ExecProcess,
  socket: net.Socket,
  head: Buffer,
  onEnded: () => void = () => {},
): void {
  let exited = false;
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnded();
  };
  const send = (frame: Buffer): boolean => (socket.destroyed ? true : socket.write(frame));
  const pipe = (stream: NodeJS.ReadableStream, type: FrameType): Promise<void> =>
    new Promise((resolve) => {
      stream.on('data', (chunk: Buffer) => {
        let ok = true;
        for (const f of encodeData(type, EXEC_CHANNEL, chunk)) ok = send(f) && ok;
        if (!ok) {
          stream.pause();
          socket.once('drain', () => stream.resume());
        }
      });
      stream.on('end', resolve);
    });
  proc.started.then(
    (pid) => send(encodeControl(EXEC_CHANNEL, { op: 'started', pid })),
    () => {},
  );
  const outputs = Promise.all([pipe(proc.stdout, FrameType.stdout), pipe(proc.stderr, FrameType.stderr)]);
  void Promise.all([proc.exited, outputs]).then(([status]) => {
    exited = true;
    send(encodeControl(EXEC_CHANNEL, { op: 'exit', code: status.code, signal: status.signal }));
    socket.end();
    end();
  });

  const decoder = new FrameDecoder();
  const onData = (chunk: Buffer): void => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      send(encodeControl(EXEC_CHANNEL, { op: 'error', message: `bad frame: ${(error as Error).message}` }));
      socket.destroy();
      return;
    }
    for (const f of frames) {
      if (f.type === FrameType.stdin) proc.write(f.data);
      else if (f.type === FrameType.control) {
        const m = f.message;
        if (m.op === 'stdin-eof') proc.end();
        else if (m.op === 'resize') proc.resize(m.rows, m.cols);
        else if (m.op === 'kill') proc.kill(m.signal);
      }
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  // The server keeps upgraded sockets half-open: a client that ends its side before the exit
  // has gone away (a killed CLI), and the socket must close for the command to be hung up.
  socket.on('end', () => {
    if (!exited) socket.destroy();
  });
  socket.on('close', () => {
    end();
    if (exited) return;
    proc.kill('SIGHUP');
    setTimeout(() => {
      if (!exited) proc.kill('SIGKILL');
    }, HANGUP_GRACE_MS).unref();
  });
  if (head.length > 0) onData(head);
}
