import { parseArgs } from 'node:util';
import { PlayerLoadOptions } from './player-load';

export const USAGE = `Usage: npm run players -- [--manager URL] [--count N] [--rate R] [--session S] [--jitter J]

Plays like the deployed game clients against a running manager: each player asks
GET <manager>/available-gameserver/, opens a WebSocket to ws://<address>/ws/connect/,
keeps it open for its session, then closes it. Ends by itself after the last session.

  --manager URL   the manager (default http://127.0.0.1:3000)
  --count N       players in all (default 20, at most ${10_000})
  --rate R        players arriving per second (default 2, at most ${1_000})
  --session S     seconds each player stays (default 30, at most ${86_400})
  --jitter J      sessions vary uniformly by +-J of S, from 0 to 1 (default 0)
  --help          this text`;

export class UsageError extends Error {}

export interface PlayersCommand {
  readonly help: boolean;
  readonly options: PlayerLoadOptions;
}

function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      options: {
        manager: { type: 'string', default: 'http://127.0.0.1:3000' },
        count: { type: 'string', default: '20' },
        rate: { type: 'string', default: '2' },
        session: { type: 'string', default: '30' },
        jitter: { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function parsePlayersArgs(argv: readonly string[]): PlayersCommand {
  const values = parseCommandLine(argv);
  return {
    help: values.help,
    options: {
      manager: managerUrl(values.manager),
      count: bounded(values.count, '--count', 1, 10_000, true),
      rate: bounded(values.rate, '--rate', 0.001, 1_000, false),
      sessionSeconds: bounded(values.session, '--session', 0, 86_400, false),
      jitter: bounded(values.jitter, '--jitter', 0, 1, false),
    },
  };
}

/** Only the manager the user names is contacted (and the game servers it hands out). */
function managerUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--manager must be a URL such as http://127.0.0.1:3000, got "${text}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--manager must be an http or https URL, got "${text}"`);
  if (url.search || url.hash) throw new UsageError(`--manager takes the manager's base URL, without query or fragment, got "${text}"`);
  return url.href.replace(/\/+$/, '');
}

function bounded(text: string, option: string, min: number, max: number, whole: boolean): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (whole && !Number.isInteger(value))) {
    throw new UsageError(`${option} must be a ${whole ? 'whole ' : ''}number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}
