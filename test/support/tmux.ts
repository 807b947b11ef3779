/** A command in a pseudo-terminal: a detached tmux session on a private server, its screen read back. */
import { execFileSync } from 'node:child_process';

export class TmuxPane {
  private readonly socket = `switchyard-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Starts `command` (a shell command line) in a `columns` x `rows` terminal. */
  constructor(command: string, columns = 160, rows = 16) {
    this.tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', 'pane', command);
  }

  /** The visible screen as text; with `escapes`, with its colours as ANSI sequences. */
  screen(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'pane');
  }

  sendKeys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'pane', ...keys);
  }

  /** Whether the command still runs (its session ends with it). */
  alive(): boolean {
    try {
      return this.tmux('list-sessions').includes('pane');
    } catch {
      return false; // no server left: the session ended
    }
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
