import { FleetSnapshot, LaunchFailures, PolicySettings, ServerView } from '../domain/fleet-snapshot';
import { HeldBack, ProbeOutage, ScalingAction, ScalingDecision, StopReason } from '../domain/scaling-action';
import { isUp } from '../domain/server-state';

/**
 * Outside a probe outage, at most this share of the servers that had been healthy (and at least
 * one) is stopped for failed probes in one pass, as Kubernetes rate-limits node evictions: a fault
 * that grows slowly across the fleet is then still noticed before it has taken much of it.
 */
const UNHEALTHY_STOPS_PER_PASS = 0.1;

/** Until when launches wait after the failures so far. */
function launchBackoffEnd(failures: LaunchFailures, s: PolicySettings): number {
  return failures.lastAt === undefined ? 0 : failures.lastAt + launchBackoffMs(failures.consecutive, s);
}

/** How long launches wait after `consecutive` failures in a row: doubling, capped. */
export function launchBackoffMs(consecutive: number, settings: PolicySettings): number {
  if (consecutive <= 0) return 0;
  return Math.min(settings.launchBackoffMaxMs, settings.launchBackoffBaseMs * 2 ** (consecutive - 1));
}

/**
 * The probe outage after this pass. One begins when more than `probeOutageThreshold` of the
 * servers that were healthy (and more than one) fail their probes together: each of them has
 * failed at most UNHEALTHY_THRESHOLD times in a row, so a fault that began in the middle of a
 * pass is seen whole in the next. Servers that failed long before are not counted: they are not
 * what suddenly broke. The outage lasts while more than the threshold of the servers that failed
 * together (those that still exist) still fail, and ends as probes answer again.
 */
function probeOutageOf(snapshot: Pick<FleetSnapshot, 'servers' | 'probeOutage'>, s: PolicySettings): ProbeOutage | undefined {
  const { servers, probeOutage: previous } = snapshot;
  let serverIds: string[];
  let of: number;
  if (previous) {
    const known = new Set(servers.filter((server) => server.state !== 'stopping').map((server) => server.id));
    serverIds = previous.serverIds.filter((id) => known.has(id));
    of = serverIds.length;
  } else {
    const fresh = servers.filter((server) => server.state === 'unhealthy' && server.consecutiveFailures <= s.unhealthyThreshold);
    serverIds = fresh.map((server) => server.id);
    of = fresh.length + servers.filter((server) => server.state === 'ready' || server.state === 'draining').length;
  }
  const failingIds = new Set(servers.filter((server) => server.state === 'unhealthy').map((server) => server.id));
  const failing = serverIds.filter((id) => failingIds.has(id)).length;
  return failing > 1 && failing > s.probeOutageThreshold * of ? { serverIds, failing, of } : undefined;
}

/** Failed probes alone are reason to stop this server now (the rate limit aside). */
function failedForGood(server: ServerView, now: number, outageEndedAt: number | undefined, s: PolicySettings): boolean {
  if (server.state !== 'unhealthy' || server.consecutiveFailures < s.unhealthyThreshold) return false;
  // Players first: a server that last showed a game in progress, or was handed places since, may
  // be unreachable only from here. Its grace runs from its last good report, and not before the
  // end of a probe outage: the time its probes failed for the manager's fault does not count.
  if (server.readyToClose && server.reserved === 0) return true;
  const lastSeen = Math.max(server.lastHealthyAt ?? server.launchedAt, outageEndedAt ?? -Infinity);
  return now - lastSeen >= s.unhealthyPlayerGraceMs;
}

function otherStopReason(server: ServerView, now: number, s: PolicySettings): StopReason | undefined {
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

/** The longest-failing first: their failure is the least likely to be passing. */
const byLongestFailing = (a: ServerView, b: ServerView) =>
  b.consecutiveFailures - a.consecutiveFailures || (a.lastHealthyAt ?? 0) - (b.lastHealthyAt ?? 0) || a.id.localeCompare(b.id);

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
/** Servers of the version launches use before outdated ones, then by byMostRoom. */
const currentFirst = (a: ServerView, b: ServerView) => Number(a.outdated === true) - Number(b.outdated === true) || byMostRoom(a, b);
/** Outdated servers first, then by byMostRoom: the ones to let go first while a rollout is on. */
const outdatedFirst = (a: ServerView, b: ServerView) => Number(b.outdated === true) - Number(a.outdated === true) || byMostRoom(a, b);

/**
 * The margin policy (docs/scaling.md, How it decides): from a snapshot of the fleet to the
 * actions that keep the free capacity between the margins. Pure: no clock, no I/O, the same
 * answer for the same input.
 *
 * A probe outage (probeOutageOf): most of the servers that were healthy fail their probes at once.
 * So many game servers rarely break together; the manager's own network, its event loop or its
 * file descriptors do. Envoy's panic threshold and Kubernetes' unhealthy-zone threshold rest on
 * the same judgement. While it lasts nothing is stopped for failed probes and nothing is launched
 * or drained, since the count of free places leaves out whatever the failing servers hold.
 */
export function decideScaling(snapshot: FleetSnapshot, s: PolicySettings): ScalingDecision {
  const { now } = snapshot;
  const actions: ScalingAction[] = [];
  const probeOutage = probeOutageOf(snapshot, s);
  // The pass that sees an outage end is its end: the manager records it only after this decision.
  const outageEndedAt = snapshot.probeOutage && !probeOutage ? now : snapshot.probeOutageEndedAt;

  // Broken servers and launches that never came up go first; the margins below then count without them.
  // In a probe outage nothing is stopped for failing its probes, a launch that never answered included.
  const live: ServerView[] = [];
  const failed: ServerView[] = [];
  let timedOutLaunches = 0;
  for (const server of snapshot.servers) {
    if (server.state === 'stopping') continue;
    const reason = probeOutage ? undefined : otherStopReason(server, now, s);
    if (reason) actions.push({ kind: 'stop', serverId: server.id, reason });
    else if (!probeOutage && failedForGood(server, now, outageEndedAt, s)) failed.push(server);
    else live.push(server);
    if (reason === 'launch-timeout') timedOutLaunches += 1;
  }
  const established = snapshot.servers.filter((server) => isUp(server.state)).length;
  const stopsAllowed = Math.max(1, Math.floor(UNHEALTHY_STOPS_PER_PASS * established));
  failed.sort(byLongestFailing).forEach((server, index) => {
    if (index < stopsAllowed) actions.push({ kind: 'stop', serverId: server.id, reason: 'unhealthy' });
    else live.push(server);
  });
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
  // A failing server not yet given up still counts toward MIN_SERVERS (not towards the free places):
  // replacing it at its first failed probe, or for every server still silent in the pass that sees
  // a probe outage end, would launch servers that the next pass drains again.
  let serving = ready.length + launching.length + live.filter((server) => server.state === 'unhealthy').length;
  let launched = 0;
  let heldBack: HeldBack | undefined;
  const reactivated = new Set<string>();
  const isDrained = (server: ServerView) =>
    server.state === 'draining' && !reactivated.has(server.id) && server.readyToClose && server.reserved === 0;

  if (free < s.upscaleMargin || serving < s.minServers) {
    // A draining server with room is capacity that is already paid for: bring it back before launching.
    const comebacks = live.filter((server) => server.state === 'draining' && server.free > 0).sort(currentFirst);
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
      const backoffUntil = launchBackoffEnd(launchFailures, s);
      if (probeOutage) {
        heldBack = { by: 'probe-outage', detail: outageDetail(probeOutage) };
      } else if (now < backoffUntil) {
        heldBack = { by: 'launch-backoff', detail: `${launchFailures.consecutive} launch failures in a row; next launch in ${backoffUntil - now} ms` };
      } else {
        launched = Math.max(0, Math.min(wanted, roomUnderMax, roomInFlight));
        if (launched < wanted) {
          heldBack =
            roomUnderMax < wanted
              ? { by: 'max-servers', detail: `MAX_SERVERS=${s.maxServers} reached with ${staying} servers` }
              : { by: 'launches-in-flight', detail: `${launching.length} launches in flight (MAX_LAUNCHES_IN_FLIGHT=${s.maxLaunchesInFlight})` };
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
    if (probeOutage) {
      // What the failing servers hold is unknown: the room counted may be all the fleet has left.
      heldBack = { by: 'probe-outage', detail: outageDetail(probeOutage) };
    } else {
      // The emptiest server has the fewest players to wait for, so it is the cheapest to let go.
      // While a rollout is on, an outdated one goes first: letting a current one go instead would
      // only make the rollout launch it again.
      const emptiest = [...ready].sort(s.rolloutMaxDraining > 0 ? outdatedFirst : byMostRoom)[0];
      actions.push({
        kind: 'drain',
        serverId: emptiest.id,
        reason: `free capacity ${free} above downscale margin ${s.downscaleMargin}`,
      });
      free -= emptiest.free;
    }
  } else if (!probeOutage && now >= launchBackoffEnd(launchFailures, s)) {
    const step = rolloutStep(live, free, s);
    if (step?.kind === 'drain') free -= step.free;
    if (step?.kind === 'launch') {
      launched = 1;
      free += s.serverCapacity;
    }
    if (step) actions.push(step.action);
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
    probeOutage,
  };
}

/**
 * One step of rolling a new game server version out, between the margins: servers of an older
 * version (outdated) are drained, ROLLOUT_MAX_DRAINING at a time, and only while the margin holds
 * without them. When it would not, one server of the new version is launched first (a surge of
 * one), as Agones' RollingUpdate adds before it takes away. Nothing happens while a launch is in
 * flight: an old server is let go only for room that is up, so a new version that fails to start
 * stalls the rollout (the launch back-off applies) instead of draining and bringing back the old.
 */
function rolloutStep(
  live: readonly ServerView[],
  free: number,
  s: PolicySettings,
): { kind: 'drain'; free: number; action: ScalingAction } | { kind: 'launch'; action: ScalingAction } | undefined {
  const outdatedReady = live.filter((server) => server.state === 'ready' && server.outdated).sort(byMostRoom);
  const outdatedDraining = live.filter((server) => server.state === 'draining' && server.outdated).length;
  if (outdatedReady.length === 0 || outdatedDraining >= s.rolloutMaxDraining) return undefined;
  if (live.some((server) => server.state === 'launching')) return undefined;
  const candidate = outdatedReady[0];
  const serving = live.filter((server) => server.state === 'ready' || server.state === 'launching').length;
  const why = `rolling out: ${outdatedReady.length + outdatedDraining} server(s) run an older version`;
  if (free - candidate.free >= s.upscaleMargin && serving - 1 >= s.minServers) {
    return { kind: 'drain', free: candidate.free, action: { kind: 'drain', serverId: candidate.id, reason: `${why}; the margin holds without it` } };
  }
  if (live.length >= s.maxServers) return undefined;
  return { kind: 'launch', action: { kind: 'launch', count: 1, reason: `${why}; one of the new version first, so that the margin holds` } };
}

function outageDetail({ failing, of }: ProbeOutage): string {
  return `${failing} of ${of} servers that were healthy fail their probes at once: the fault is probably the manager's own, so nothing is launched, drained or stopped for it`;
}
