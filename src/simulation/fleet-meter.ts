import { FleetCensus } from './simulated-fleet';

/** The quality figures of a run, integrated as simulated time passes. */
export class FleetMeter {
  private serverMs = 0;
  private idlePlaceMs = 0;
  private shortfallSince?: number;
  private readonly shortfallMs: number[] = [];
  private peakPlayers = 0;
  private peakServers = 0;

  constructor(private readonly upscaleMargin: number) {}

  /** The fleet stayed as `census` from `from` to `to`. */
  steady(from: number, to: number, census: FleetCensus): void {
    const ms = to - from;
    this.serverMs += census.servers * ms;
    this.idlePlaceMs += Math.max(0, census.free - this.upscaleMargin) * ms;
  }

  /** The fleet as it is after something happened at `at`. */
  observe(at: number, census: FleetCensus): void {
    this.peakPlayers = Math.max(this.peakPlayers, census.players);
    this.peakServers = Math.max(this.peakServers, census.servers);
    const short = census.free < this.upscaleMargin;
    if (short && this.shortfallSince === undefined) this.shortfallSince = at;
    if (!short && this.shortfallSince !== undefined) this.endShortfall(at);
  }

  /** A shortfall still open when the run ends counts until the end. */
  finish(at: number): MeterFigures {
    if (this.shortfallSince !== undefined) this.endShortfall(at);
    const total = this.shortfallMs.reduce((sum, ms) => sum + ms, 0);
    return {
      serverHours: this.serverMs / 3_600_000,
      idlePlaceHours: this.idlePlaceMs / 3_600_000,
      shortfalls: this.shortfallMs.length,
      shortfallMeanSeconds: this.shortfallMs.length > 0 ? total / this.shortfallMs.length / 1000 : 0,
      shortfallMaxSeconds: this.shortfallMs.reduce((max, ms) => Math.max(max, ms), 0) / 1000,
      peakPlayers: this.peakPlayers,
      peakServers: this.peakServers,
    };
  }

  private endShortfall(at: number): void {
    this.shortfallMs.push(at - (this.shortfallSince as number));
    this.shortfallSince = undefined;
  }
}

export interface MeterFigures {
  readonly serverHours: number;
  readonly idlePlaceHours: number;
  readonly shortfalls: number;
  readonly shortfallMeanSeconds: number;
  readonly shortfallMaxSeconds: number;
  readonly peakPlayers: number;
  readonly peakServers: number;
}
