import { Settings } from '../config/settings';
import { PolicySettings } from '../domain/fleet-snapshot';

/** The policy's settings from the manager's, in the units the policy counts in. */
export function policySettingsFrom(s: Settings): PolicySettings {
  return {
    upscaleMargin: s.UPSCALE_MARGIN,
    downscaleMargin: s.DOWNSCALE_MARGIN,
    serverCapacity: s.SERVER_CAPACITY,
    minServers: s.MIN_SERVERS,
    maxServers: s.MAX_SERVERS,
    maxLaunchesInFlight: s.MAX_LAUNCHES_IN_FLIGHT,
    unhealthyThreshold: s.UNHEALTHY_THRESHOLD,
    unhealthyPlayerGraceMs: s.UNHEALTHY_PLAYER_GRACE * 1000,
    probeOutageThreshold: s.PROBE_OUTAGE_THRESHOLD,
    launchTimeoutMs: s.LAUNCH_TIMEOUT * 1000,
    drainTimeoutMs: s.DRAIN_TIMEOUT * 1000,
    launchBackoffBaseMs: s.LAUNCH_BACKOFF_BASE * 1000,
    launchBackoffMaxMs: s.LAUNCH_BACKOFF_MAX * 1000,
    rolloutMaxDraining: s.ROLLOUT_MAX_DRAINING,
  };
}
