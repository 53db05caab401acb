import { SimulationReport } from './simulation-report';

/**
 * Several runs of one configuration (one per seed) as one report: counts and hours add up, peaks
 * are the highest, the mean time back at the margin is weighted by the shortfalls. So a table of
 * five seeds compares configurations on five times the players, not on one seed's luck.
 */
export function combineReports(reports: readonly SimulationReport[]): SimulationReport {
  if (reports.length === 0) throw new RangeError('no reports to combine');
  const sum = (field: keyof SimulationReport) => reports.reduce((total, report) => total + (report[field] as number), 0);
  const max = (field: keyof SimulationReport) => Math.max(...reports.map((report) => report[field] as number));
  const shortfalls = sum('shortfalls');
  return {
    trace: reports[0].trace,
    policy: reports[0].policy,
    marginMode: reports[0].marginMode,
    seed: reports[0].seed,
    simulatedHours: sum('simulatedHours'),
    players: sum('players'),
    failedAllocations: sum('failedAllocations'),
    idlePlaceHours: sum('idlePlaceHours'),
    serverHours: sum('serverHours'),
    boundServerHours: sum('boundServerHours'),
    launches: sum('launches'),
    drains: sum('drains'),
    reactivations: sum('reactivations'),
    stops: sum('stops'),
    launchTimeouts: sum('launchTimeouts'),
    playersCutOff: sum('playersCutOff'),
    shortfalls,
    shortfallMeanSeconds: shortfalls > 0 ? reports.reduce((total, r) => total + r.shortfallMeanSeconds * r.shortfalls, 0) / shortfalls : 0,
    shortfallMaxSeconds: max('shortfallMaxSeconds'),
    peakPlayers: max('peakPlayers'),
    peakServers: max('peakServers'),
    passes: sum('passes'),
  };
}
