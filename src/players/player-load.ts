import { setTimeout as sleep } from 'node:timers/promises';
import { play, PlayerOutcome } from './player';
import { PlayersReport, summarize } from './players-report';

export interface PlayerLoadOptions {
  /** The manager's base URL, e.g. http://127.0.0.1:3000. */
  readonly manager: string;
  readonly count: number;
  /** Players arriving per second, evenly spaced. */
  readonly rate: number;
  readonly sessionSeconds: number;
  /** Each session lasts sessionSeconds × (1 ± jitter), uniformly. */
  readonly jitter: number;
}

export interface LoadProgress {
  readonly count: number;
  readonly arrived: number;
  readonly playing: number;
  readonly finished: number;
  readonly failedAllocations: number;
  readonly failedConnections: number;
}

export interface LoadHooks {
  /** Ends the run early: no more arrivals, every open connection closes, the report covers what happened. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LoadProgress) => void;
}

/**
 * Runs `count` players against the manager, `rate` a second, each for a session, and reports what
 * they saw. It ends by itself: after the last arrival, once every session is over.
 */
export async function runPlayers(options: PlayerLoadOptions, hooks: LoadHooks = {}): Promise<PlayersReport> {
  const signal = hooks.signal ?? new AbortController().signal;
  const started = performance.now();
  const progress = { count: options.count, arrived: 0, playing: 0, finished: 0, failedAllocations: 0, failedConnections: 0 };
  const changed = () => hooks.onProgress?.({ ...progress });
  const players: Promise<PlayerOutcome>[] = [];

  for (let i = 0; i < options.count && !signal.aborted; i++) {
    const due = started + (i / options.rate) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    progress.arrived += 1;
    changed();
    const sessionMs = options.sessionSeconds * 1000 * (1 + options.jitter * (2 * Math.random() - 1));
    const player = play(options.manager, sessionMs, signal, {
      connected: () => {
        progress.playing += 1;
        changed();
      },
    }).then((outcome) => {
      if (outcome.kind === 'played') progress.playing -= 1;
      if (outcome.kind === 'allocation-failed') progress.failedAllocations += 1;
      if (outcome.kind === 'connection-failed') progress.failedConnections += 1;
      progress.finished += 1;
      changed();
      return outcome;
    });
    players.push(player);
  }

  const outcomes = await Promise.all(players);
  return summarize(outcomes, (performance.now() - started) / 1000);
}
