import { TimelineSample } from './timeline';

export interface PlotInfo {
  readonly title: string;
  /** Up to two lines under the title: the settings of the run. */
  readonly subtitle: readonly string[];
  readonly upscaleMargin: number;
  /** The margin moved with the demand (MARGIN_MODE=adaptive): the legend says so. */
  readonly adaptive?: boolean;
}

const WIDTH = 1100;
const LEFT = 70;
const RIGHT = 190;
const TOP_PANEL = { top: 80, height: 300 };
const BOTTOM_PANEL = { top: 430, height: 170 };
const HEIGHT = 650;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

const COLORS = {
  players: '#1f77b4',
  places: '#333333',
  free: '#2ca02c',
  margin: '#2ca02c',
  failed: '#d62728',
  servers: '#333333',
  bound: '#8c564b',
  launching: '#ff7f0e',
  draining: '#9467bd',
};

/**
 * A self-contained SVG of a run: demand against capacity above, the servers below, on the same
 * time axis. No scripts, no external fonts or styles, so it opens anywhere and can be attached.
 */
export function plotSvg(timeline: readonly TimelineSample[], info: PlotInfo): string {
  const endMs = timeline.length > 0 ? timeline[timeline.length - 1].at : 1;
  const x = (at: number) => LEFT + (at / Math.max(endMs, 1)) * PLOT_WIDTH;
  const placesMax = niceCeiling(Math.max(info.upscaleMargin, ...timeline.map((s) => Math.max(s.places, s.players, s.free, s.margin))));
  const serversMax = niceCeiling(Math.max(1, ...timeline.map((s) => Math.max(s.servers, s.boundServers))));
  const yPlaces = (v: number) => TOP_PANEL.top + TOP_PANEL.height * (1 - v / placesMax);
  const yServers = (v: number) => BOTTOM_PANEL.top + BOTTOM_PANEL.height * (1 - v / serversMax);
  const failedTotal = timeline.reduce((sum, s) => sum + s.failed, 0);

  // Steps, not slopes: the fleet jumps when a server comes up or goes, and the plot should show the jump.
  const steps = (value: (s: TimelineSample) => number, y: (v: number) => number) =>
    timeline
      .map((s, i) => {
        const px = x(s.at).toFixed(1);
        const here = `${px},${y(value(s)).toFixed(1)}`;
        return i === 0 ? here : `${px},${y(value(timeline[i - 1])).toFixed(1)} ${here}`;
      })
      .join(' ');
  const line = (value: (s: TimelineSample) => number, y: (v: number) => number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.6" stroke-linejoin="round" points="${steps(value, y)}"/>`;
  const dashed = (value: (s: TimelineSample) => number, y: (v: number) => number, color: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.4" stroke-dasharray="5 4" points="${steps(value, y)}"/>`;
  const area = (value: (s: TimelineSample) => number, y: (v: number) => number, color: string) =>
    `<polygon fill="${color}" fill-opacity="0.25" stroke="none" points="${x(0).toFixed(1)},${y(0).toFixed(1)} ${steps(value, y)} ${x(endMs).toFixed(1)},${y(0).toFixed(1)}"/>`;
  const failedTicks = timeline
    .filter((s) => s.failed > 0)
    .map((s) => `<line x1="${x(s.at).toFixed(1)}" x2="${x(s.at).toFixed(1)}" y1="${yPlaces(0)}" y2="${yPlaces(0) - 10}" stroke="${COLORS.failed}" stroke-width="2"/>`)
    .join('');

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="26" font-size="17" font-weight="bold">${escape(info.title)}</text>`,
    ...info.subtitle.slice(0, 2).map((text, i) => `<text x="${LEFT}" y="${44 + i * 15}" fill="#555">${escape(text)}</text>`),
    axes(TOP_PANEL, placesMax, 'places', endMs, x, false),
    axes(BOTTOM_PANEL, serversMax, 'servers', endMs, x, true),
    area((s) => s.players, yPlaces, COLORS.players),
    line((s) => s.players, yPlaces, COLORS.players),
    line((s) => s.places, yPlaces, COLORS.places),
    line((s) => s.free, yPlaces, COLORS.free),
    `<polyline fill="none" stroke="${COLORS.margin}" stroke-width="1" stroke-dasharray="5 4" points="${steps((s) => s.margin, yPlaces)}"/>`,
    failedTicks,
    area((s) => s.launching, yServers, COLORS.launching),
    area((s) => s.draining, yServers, COLORS.draining),
    line((s) => s.servers, yServers, COLORS.servers),
    dashed((s) => s.boundServers, yServers, COLORS.bound),
    legend(TOP_PANEL.top, [
      { color: COLORS.players, label: 'players (demand)', fill: true },
      { color: COLORS.places, label: 'capacity (places up)' },
      { color: COLORS.free, label: 'free places (ready)' },
      { color: COLORS.margin, label: info.adaptive ? `adaptive margin (>= ${info.upscaleMargin})` : `upscale margin (${info.upscaleMargin})`, dash: true },
      { color: COLORS.failed, label: `failed allocations (${failedTotal})` },
    ]),
    legend(BOTTOM_PANEL.top, [
      { color: COLORS.servers, label: 'servers (all)' },
      { color: COLORS.launching, label: 'launching', fill: true },
      { color: COLORS.draining, label: 'draining', fill: true },
      { color: COLORS.bound, label: 'clairvoyant bound', dash: true },
    ]),
    `</svg>`,
  ];
  return parts.join('\n') + '\n';
}

function axes(panel: { top: number; height: number }, max: number, unit: string, endMs: number, x: (at: number) => number, timeTitle: boolean): string {
  const bottom = panel.top + panel.height;
  const out: string[] = [];
  for (const value of ticks(max)) {
    const y = bottom - (value / max) * panel.height;
    out.push(`<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${LEFT - 8}" y="${y + 4}" text-anchor="end" fill="#444">${value}</text>`);
  }
  const hours = endMs / 3_600_000;
  const step = [0.25, 0.5, 1, 2, 3, 4, 6, 12, 24].find((h) => hours / h <= 12) ?? 48;
  for (let h = 0; h <= hours + 1e-9; h += step) {
    const px = x(h * 3_600_000);
    out.push(`<line x1="${px}" x2="${px}" y1="${panel.top}" y2="${bottom}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${px}" y="${bottom + 16}" text-anchor="middle" fill="#444">${clock(h)}</text>`);
  }
  out.push(`<rect x="${LEFT}" y="${panel.top}" width="${PLOT_WIDTH}" height="${panel.height}" fill="none" stroke="#999"/>`);
  out.push(`<text transform="translate(${LEFT - 48} ${panel.top + panel.height / 2}) rotate(-90)" text-anchor="middle" fill="#444">${unit}</text>`);
  if (timeTitle) out.push(`<text x="${LEFT + PLOT_WIDTH / 2}" y="${bottom + 36}" text-anchor="middle" fill="#444">simulated time (h:mm)</text>`);
  return out.join('\n');
}

function legend(top: number, entries: { color: string; label: string; fill?: boolean; dash?: boolean }[]): string {
  const left = LEFT + PLOT_WIDTH + 16;
  return entries
    .map(({ color, label, fill, dash }, i) => {
      const y = top + 10 + i * 20;
      const mark = fill
        ? `<rect x="${left}" y="${y - 6}" width="22" height="10" fill="${color}" fill-opacity="0.35" stroke="${color}"/>`
        : `<line x1="${left}" x2="${left + 22}" y1="${y - 1}" y2="${y - 1}" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="5 4"' : ''}/>`;
      return `${mark}<text x="${left + 30}" y="${y + 3}">${escape(label)}</text>`;
    })
    .join('\n');
}

/** Round up to a round multiple of a power of ten, so the axis ends on a readable value. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
  return ([1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((m) => m * power >= value) ?? 10) * power;
}

function ticks(max: number): number[] {
  const step = niceCeiling(max / 5);
  const values: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) values.push(Math.round(v * 100) / 100);
  return values;
}

function clock(hours: number): string {
  const minutes = Math.round(hours * 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
