import { SimulationReport } from './simulation-report';

export type TableFormat = 'text' | 'markdown';

interface Column {
  readonly title: string;
  readonly value: (report: SimulationReport) => string;
}

const whole = (n: number) => String(Math.round(n));
const oneDecimal = (n: number) => n.toFixed(1);
/** Server-hours as a multiple of the clairvoyant bound: 1.00 is what no policy can beat. */
const boundRatio = (r: SimulationReport) => (r.boundServerHours > 0 ? `${(r.serverHours / r.boundServerHours).toFixed(2)}x` : '-');

const COLUMNS: readonly Column[] = [
  { title: 'players', value: (r) => whole(r.players) },
  { title: 'failed', value: (r) => whole(r.failedAllocations) },
  { title: 'failed %', value: (r) => (r.players > 0 ? ((100 * r.failedAllocations) / r.players).toFixed(2) : '0.00') },
  { title: 'idle place-h', value: (r) => oneDecimal(r.idlePlaceHours) },
  { title: 'server-h', value: (r) => oneDecimal(r.serverHours) },
  { title: 'bound server-h', value: (r) => oneDecimal(r.boundServerHours) },
  { title: 'x bound', value: (r) => boundRatio(r) },
  { title: 'peak servers', value: (r) => whole(r.peakServers) },
  { title: 'launches', value: (r) => whole(r.launches) },
  { title: 'drains', value: (r) => whole(r.drains) },
  { title: 'reactivations', value: (r) => whole(r.reactivations) },
  { title: 'stops', value: (r) => whole(r.stops) },
  { title: 'shortfalls', value: (r) => whole(r.shortfalls) },
  { title: 'to margin mean s', value: (r) => whole(r.shortfallMeanSeconds) },
  { title: 'to margin max s', value: (r) => whole(r.shortfallMaxSeconds) },
];

/** Configurations side by side, one row each, as aligned text or a Markdown table. */
export function comparisonTable(rows: readonly { label: string; report: SimulationReport }[], format: TableFormat): string {
  const header = ['configuration', ...COLUMNS.map((c) => c.title)];
  const body = rows.map(({ label, report }) => [label, ...COLUMNS.map((c) => c.value(report))]);
  if (format === 'markdown') {
    const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
    return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
  }
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((cells) => cells[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** One run's figures, a line each. */
export function reportText(report: SimulationReport): string {
  const failedShare = report.players > 0 ? ` (${((100 * report.failedAllocations) / report.players).toFixed(2)} %)` : '';
  const lines: [string, string][] = [
    ['trace', `${report.trace} (${oneDecimal(report.simulatedHours)} h simulated, seed ${report.seed})`],
    ['policy', `${report.policy}, MARGIN_MODE=${report.marginMode}`],
    ['players arrived', whole(report.players)],
    ['failed allocations', `${whole(report.failedAllocations)}${failedShare}`],
    ['idle capacity', `${oneDecimal(report.idlePlaceHours)} place-hours above the upscale margin`],
    ['server-hours', `${oneDecimal(report.serverHours)} (${boundRatio(report)} the clairvoyant bound of ${oneDecimal(report.boundServerHours)})`],
    ['peak', `${whole(report.peakPlayers)} players, ${whole(report.peakServers)} servers`],
    ['launches', whole(report.launches)],
    ['drains', whole(report.drains)],
    ['reactivations', whole(report.reactivations)],
    ['stops', whole(report.stops)],
    ['launch timeouts', whole(report.launchTimeouts)],
    ['players cut off', whole(report.playersCutOff)],
    [
      'shortfalls',
      report.shortfalls === 0
        ? '0'
        : `${report.shortfalls}; back at the margin after ${whole(report.shortfallMeanSeconds)} s on average, ${whole(report.shortfallMaxSeconds)} s at most`,
    ],
    ['reconcile passes', whole(report.passes)],
  ];
  const width = Math.max(...lines.map(([name]) => name.length));
  return lines.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}
