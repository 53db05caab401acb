import { LoadProgress } from './player-load';

/** How often the line is redrawn at most: often enough to watch, rarely enough not to flood a slow terminal. */
const REDRAW_MS = 200;
/** Without a terminal (a pipe, CI) the line cannot be redrawn in place, so a new one is written this often. */
const LOG_EVERY_MS = 5_000;

export function progressText(p: LoadProgress): string {
  return `players ${p.arrived}/${p.count} arrived, ${p.playing} playing, ${p.finished} done; failed: ${p.failedAllocations} allocations, ${p.failedConnections} connections`;
}

/** Shows the run's progress on one line that it rewrites in place. */
export class ProgressLine {
  private last?: LoadProgress;
  private drawnAt = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(progress: LoadProgress): void {
    this.last = progress;
    const gap = this.stream.isTTY ? REDRAW_MS : LOG_EVERY_MS;
    const wait = this.drawnAt + gap - Date.now();
    if (wait <= 0) this.draw();
    else this.timer ??= setTimeout(() => this.draw(), wait);
  }

  /** Draws the final state and leaves the cursor on a new line. */
  finish(): void {
    this.draw();
    if (this.stream.isTTY) this.stream.write('\n');
  }

  private draw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.drawnAt = Date.now();
    if (!this.last) return;
    const text = progressText(this.last);
    this.stream.write(this.stream.isTTY ? `\r\x1b[2K${text}` : `${text}\n`);
  }
}
