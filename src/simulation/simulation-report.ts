import type { MarginMode } from '../config/settings';

/** What one simulation run measured. Time figures are simulated time. */
export interface SimulationReport {
  readonly trace: string;
  readonly policy: string;
  /** The margin the policy was given: the one typed in, or the adaptive one (MARGIN_MODE). */
  readonly marginMode: MarginMode;
  readonly seed: number;
  readonly simulatedHours: number;
  /** Players who arrived during the run (those playing at the start not counted). */
  readonly players: number;
  /** Players who found no ready server with room (they got the backup server or a 503). */
  readonly failedAllocations: number;
  /** Free places on ready servers above UPSCALE_MARGIN, integrated over time: paid for and not needed. */
  readonly idlePlaceHours: number;
  /** Servers integrated over time, launching and draining ones included. */
  readonly serverHours: number;
  /**
   * The clairvoyant lower bound of serverHours: ceil(players / SERVER_CAPACITY) servers at every
   * moment, for the demand of the trace with nobody turned away (DemandCurve).
   */
  readonly boundServerHours: number;
  readonly launches: number;
  readonly drains: number;
  readonly reactivations: number;
  readonly stops: number;
  /** Launches stopped because they were not up within LAUNCH_TIMEOUT. */
  readonly launchTimeouts: number;
  /** Players disconnected because DRAIN_TIMEOUT stopped their server (0 unless DRAIN_TIMEOUT is set). */
  readonly playersCutOff: number;
  /** Times the free places on ready servers fell below UPSCALE_MARGIN. */
  readonly shortfalls: number;
  /** From falling below UPSCALE_MARGIN until the free places are back at it; 0 without shortfalls. */
  readonly shortfallMeanSeconds: number;
  readonly shortfallMaxSeconds: number;
  readonly peakPlayers: number;
  readonly peakServers: number;
  readonly passes: number;
}
