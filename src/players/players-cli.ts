import { runPlayers } from './player-load';
import { parsePlayersArgs, UsageError, USAGE } from './player-options';
import { reportText } from './players-report';
import { ProgressLine } from './progress-line';

async function main(argv: readonly string[]): Promise<number> {
  const { help, options } = parsePlayersArgs(argv);
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const stop = new AbortController();
  // Ctrl-C ends the run early but still closes every connection and prints what happened.
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  console.log(`${options.count} players, ${options.rate} a second, ${options.sessionSeconds} s sessions, against ${options.manager}`);
  const progress = new ProgressLine(process.stdout);
  const report = await runPlayers(options, { signal: stop.signal, onProgress: (p) => progress.update(p) });
  progress.finish();
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
  console.log(reportText(report));
  return report.failedAllocations + report.failedConnections > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(error instanceof UsageError ? `players: ${error.message}\n\n${USAGE}` : error);
    process.exitCode = 2;
  },
);
