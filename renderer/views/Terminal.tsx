// The embedded terminal: xterm.js on a sandbox's interactive shell. It only knows
// `open(sandboxId, size)` → TerminalSession, never which transport carries it (Electron
// IPC or the daemon's WebSocket). The terminal fits its panel, and the shell's PTY follows
// every size change; closing the panel hangs the shell up, and the shell's exit (or the
// sandbox stopping) ends the session with a line saying why.

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'react';
import type { TerminalExit, TerminalSession, TerminalSize } from '../../supervisor/api/terminal.ts';
import { type BridgeError, toBridgeError } from '../client/client.ts';
import { ErrorBox } from './common.tsx';

export type TerminalState = 'connecting' | 'open' | 'ended' | 'failed';

/** What the panel says after the shell ended. */
export function describeExit(exit: TerminalExit): string {
  if (exit.reason) return `session ended: ${exit.reason}`;
  if (exit.signal) return `shell ended by ${exit.signal}`;
  return `shell exited with code ${exit.code ?? '?'}`;
}

const THEME = {
  background: '#111827',
  foreground: '#e5e7eb',
  cursor: '#f59e0b',
  selectionBackground: '#374151',
  black: '#1f2937',
  brightBlack: '#6b7280',
};

export function TerminalPanel({
  sandboxId,
  open,
  onClose,
}: {
  sandboxId: string;
  open: (sandboxId: string, size: TerminalSize) => Promise<TerminalSession>;
  onClose: () => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<TerminalState>('connecting');
  const [error, setError] = useState<BridgeError | null>(null);
  const [ended, setEnded] = useState<string | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    setState('connecting');
    setError(null);
    setEnded(null);
    const term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      scrollback: 5000,
      theme: THEME,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    const refit = () => {
      try {
        fit.fit();
      } catch {}
    };
    refit();
    let session: TerminalSession | undefined;
    let disposed = false;
    const disposers: Array<() => void> = [];
    // The panel's size → the terminal's cols/rows (fit) → the PTY (onResize), once a frame.
    let frame = 0;
    const observer = new ResizeObserver(() => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(refit);
    });
    observer.observe(el);
    const asked = { cols: term.cols, rows: term.rows };
    open(sandboxId, asked).then(
      (s) => {
        if (disposed) return s.close();
        session = s;
        setState('open');
        disposers.push(s.onData((data) => term.write(data)));
        const input = term.onData((data) => s.write(data));
        const resize = term.onResize((size) => s.resize(size));
        disposers.push(
          () => input.dispose(),
          () => resize.dispose(),
        );
        disposers.push(
          s.onExit((exit) => {
            const text = describeExit(exit);
            term.write(`\r\n\x1b[2m[${text}]\x1b[0m\r\n`);
            setEnded(text);
            setState('ended');
            input.dispose();
          }),
        );
        // The PTY starts at the size asked for; resize it only if the panel changed since.
        if (term.cols !== asked.cols || term.rows !== asked.rows)
          s.resize({ cols: term.cols, rows: term.rows });
        term.focus();
      },
      (e: unknown) => {
        if (disposed) return;
        setError(toBridgeError(e));
        setState('failed');
      },
    );
    return () => {
      disposed = true;
      cancelAnimationFrame(frame);
      observer.disconnect();
      for (const d of disposers.splice(0)) d();
      session?.close();
      term.dispose();
    };
  }, [sandboxId, open]);

  return (
    <section className="terminal-panel" aria-label={`Terminal of ${sandboxId}`}>
      <header>
        <h2>
          Terminal <code>{sandboxId}</code>
        </h2>
        <span className={`term-state ${state}`} role="status">
          {state === 'connecting'
            ? 'connecting…'
            : state === 'open'
              ? 'connected'
              : state === 'ended'
                ? (ended ?? 'ended')
                : 'could not open'}
        </span>
        <button
          type="button"
          className="close"
          onClick={onClose}
          title="Close the terminal (hangs the shell up)"
        >
          Close
        </button>
      </header>
      {error ? <ErrorBox error={error} /> : null}
      <div className="terminal-host" ref={host} data-state={state} />
    </section>
  );
}
