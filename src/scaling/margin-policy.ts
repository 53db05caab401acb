import { FleetSnapshot, PolicySettings, ServerView } from './fleet-snapshot';
import { ScalingAction, ScalingDecision, StopReason } from './scaling-action';

/** How long launches wait after `consecutive` failures in a row: doubling, capped. */
export function launchBackoffMs(consecutive: number, settings: PolicySettings): number {
  if (consecutive <= 0) return 0;
  return Math.min(settings.launchBackoffMaxMs, settings.launchBackoffBaseMs * 2 ** (consecutive - 1));
}

function stopReasonFor(server: ServerView, now: number, s: PolicySettings): StopReason | undefined {
  if (server.state === 'unhealthy' && server.consecutiveFailures >= s.unhealthyThreshold) return 'unhealthy';
  if (server.state === 'launching' && now - server.launchedAt > s.launchTimeoutMs) return 'launch-timeout';
  if (
    server.state === 'draining' &&
    s.drainTimeoutMs > 0 &&
    server.drainingSince !== undefined &&
    now - server.drainingSince > s.drainTimeoutMs
  ) {
    return 'drain-timeout';
  }
  return undefined;
}

/**
 * Free capacity as the policy counts it: free places of ready servers (net of reservations),
 * SERVER_CAPACITY for each launching server, less the players already turned away.
 */
export function freeCapacityOf(servers: readonly Pick<ServerView, 'state' | 'free'>[], serverCapacity: number, unmetDemand = 0): number {
  let free = 0;
  for (const server of servers) {
    if (server.state === 'ready') free += server.free;
    else if (server.state === 'launching') free += serverCapacity;
  }
  return free - unmetDemand;
}

/** Most room first; among equals the older server, so that choices are stable from pass to pass. */
const byMostRoom = (a: ServerView, b: ServerView) => b.free - a.free || a.launchedAt - b.launchedAt || a.id.localeCompare(b.id);

/**
 * The margin policy (DESIGN section 2): from a snapshot of the fleet to the actions that keep the
 * free capacity between the margins. Pure: no clock, no I/O, the same answer for the same input.
 */
export function decideScaling(snapshot: FleetSnapshot, s: PolicySettings): ScalingDecision {
  const { now } = snapshot;
  const actions: ScalingAction[] = [];

  // Broken servers and launches that never came up go first; the margins below then count without them.
  const live: ServerView[] = [];
  let timedOutLaunches = 0;
  for (const server of snapshot.servers) {
    if (server.state === 'stopping') continue;
    const reason = stopReasonFor(server, now, s);
    if (reason) actions.push({ kind: 'stop', serverId: server.id, reason });
    else live.push(server);
    if (reason === 'launch-timeout') timedOutLaunches += 1;
  }
  // A launch that timed out in this very pass is a failure already: its replacement waits out the back-off too.
  const launchFailures =
    timedOutLaunches > 0
      ? { consecutive: snapshot.launchFailures.consecutive + timedOutLaunches, lastAt: now }
      : snapshot.launchFailures;

  const ready = live.filter((server) => server.state === 'ready');
  const launching = live.filter((server) => server.state === 'launching');
  // Players already turned away still need places: they count against the free capacity.
  const freeCapacityBefore = freeCapacityOf(live, s.serverCapacity, snapshot.unmetDemand);
  let free = freeCapacityBefore;
  const turnedAway = snapshot.unmetDemand > 0 ? ` (${snapshot.unmetDemand} players turned away)` : '';
  let serving = ready.length + launching.length;
  let launched = 0;
  let heldBack: string | undefined;
  const reactivated = new Set<string>();
  const isDrained = (server: ServerView) =>
    server.state === 'draining' && !reactivated.has(server.id) && server.readyToClose && server.reserved === 0;

  if (free < s.upscaleMargin || serving < s.minServers) {
    // A draining server with room is capacity that is already paid for: bring it back before launching.
    const comebacks = live.filter((server) => server.state === 'draining' && server.free > 0).sort(byMostRoom);
    for (const server of comebacks) {
      if (free >= s.upscaleMargin && serving >= s.minServers) break;
      actions.push({
        kind: 'reactivate',
        serverId: server.id,
        reason: `free capacity ${free} below upscale margin ${s.upscaleMargin}${turnedAway}; draining server has ${server.free} free`,
      });
      reactivated.add(server.id);
      free += server.free;
      serving += 1;
    }

    const shortfall = Math.max(0, s.upscaleMargin - free);
    const wanted = Math.max(Math.ceil(shortfall / s.serverCapacity), s.minServers - serving);
    if (wanted > 0) {
      // A drained server stopped below frees its place under MAX_SERVERS this pass, like the stops above.
      const staying = live.filter((server) => !isDrained(server)).length;
      const roomUnderMax = s.maxServers - staying;
      const roomInFlight = s.maxLaunchesInFlight - launching.length;
      const backoffUntil =
        launchFailures.lastAt === undefined ? 0 : launchFailures.lastAt + launchBackoffMs(launchFailures.consecutive, s);
      if (now < backoffUntil) {
        heldBack = `${launchFailures.consecutive} launch failures in a row; next launch in ${backoffUntil - now} ms`;
      } else {
        launched = Math.max(0, Math.min(wanted, roomUnderMax, roomInFlight));
        if (launched < wanted) {
          heldBack =
            roomUnderMax < wanted
              ? `MAX_SERVERS=${s.maxServers} reached with ${staying} servers`
              : `${launching.length} launches in flight (MAX_LAUNCHES_IN_FLIGHT=${s.maxLaunchesInFlight})`;
        }
      }
      if (launched > 0) {
        actions.push({
          kind: 'launch',
          count: launched,
          reason:
            shortfall > 0
              ? `free capacity ${free} below upscale margin ${s.upscaleMargin}${turnedAway}`
              : `${serving} servers below MIN_SERVERS=${s.minServers}`,
        });
        free += launched * s.serverCapacity;
      }
    }
  } else if (free > s.downscaleMargin && ready.length > s.minServers && launching.length === 0) {
    // Never while a launch is in flight: it was started for a shortfall that the next pass may see again.
    // The emptiest server has the fewest players to wait for, so it is the cheapest to let go.
    const emptiest = [...ready].sort(byMostRoom)[0];
    actions.push({
      kind: 'drain',
      serverId: emptiest.id,
      reason: `free capacity ${free} above downscale margin ${s.downscaleMargin}`,
    });
    free -= emptiest.free;
  }

  for (const server of live) {
    if (isDrained(server)) {
      actions.push({ kind: 'stop', serverId: server.id, reason: 'drained' });
    }
  }

  const drained = actions.some((a) => a.kind === 'drain');
  return {
    actions,
    freeCapacityBefore,
    freeCapacity: free,
    readyServers: ready.length + reactivated.size - (drained ? 1 : 0),
    launchingServers: launching.length + launched,
    heldBack,
  };
}
