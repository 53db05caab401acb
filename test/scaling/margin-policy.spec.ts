import { FleetSnapshot, LaunchFailures, PolicySettings, ServerView } from '../../src/domain/fleet-snapshot';
import { decideScaling, launchBackoffMs } from '../../src/scaling/margin-policy';
import { HoldReason, ScalingAction } from '../../src/domain/scaling-action';
import { ServerState } from '../../src/domain/server-state';

const NOW = 1_700_000_000_000;
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const SETTINGS: PolicySettings = {
  upscaleMargin: 4,
  downscaleMargin: 18,
  serverCapacity: 10,
  minServers: 1,
  maxServers: 10,
  maxLaunchesInFlight: 3,
  unhealthyThreshold: 3,
  unhealthyPlayerGraceMs: 3 * MINUTE,
  probeOutageThreshold: 0.5,
  launchTimeoutMs: 5 * MINUTE,
  drainTimeoutMs: 0,
  launchBackoffBaseMs: 5 * SECOND,
  launchBackoffMaxMs: 300 * SECOND,
  rolloutMaxDraining: 1,
};

function server(id: string, state: ServerState, fields: Partial<ServerView> = {}): ServerView {
  return { id, state, free: 0, reserved: 0, readyToClose: false, consecutiveFailures: 0, launchedAt: NOW - HOUR, ...fields };
}
const ready = (id: string, free: number, fields: Partial<ServerView> = {}) => server(id, 'ready', { free, ...fields });
const draining = (id: string, free: number, fields: Partial<ServerView> = {}) =>
  server(id, 'draining', { free, drainingSince: NOW - MINUTE, ...fields });
const launching = (id: string, fields: Partial<ServerView> = {}) => server(id, 'launching', { launchedAt: NOW - MINUTE, ...fields });
const unhealthy = (id: string, failures: number, fields: Partial<ServerView> = {}) =>
  server(id, 'unhealthy', { free: 10, consecutiveFailures: failures, ...fields });
const stopping = (id: string, fields: Partial<ServerView> = {}) => server(id, 'stopping', { free: 10, readyToClose: true, ...fields });

function snapshot(servers: ServerView[], launchFailures: LaunchFailures = { consecutive: 0 }, unmetDemand = 0, outage: Pick<FleetSnapshot, 'probeOutage' | 'probeOutageEndedAt'> = {}): FleetSnapshot {
  return { now: NOW, servers, launchFailures, unmetDemand, ...outage };
}

/** One action as a short line ("launch 3", "stop u1 unhealthy"), so that a row lists them readably and exactly. */
function summary(action: ScalingAction): string {
  switch (action.kind) {
    case 'launch':
      return `launch ${action.count}`;
    case 'stop':
      return `stop ${action.serverId} ${action.reason}`;
    default:
      return `${action.kind} ${action.serverId}`;
  }
}

interface PolicyCase {
  name: string;
  servers: ServerView[];
  settings?: Partial<PolicySettings>;
  launchFailures?: LaunchFailures;
  /** Players turned away since the previous pass. */
  unmetDemand?: number;
  /** Every action, in the order the policy returns them. */
  actions: string[];
  /** decision.freeCapacity, when the case is about counting. */
  free?: number;
  /** Absent: the decision must not report a held-back launch. */
  heldBack?: RegExp;
  /** What held it back, as the decision record tells repeated decisions apart by it. */
  heldBackBy?: HoldReason;
  /** decision.readyServers: ready after this pass's reactivations and drain. */
  readyServers?: number;
  /** The reason of the first launch, drain or reactivation, as operators read it. */
  reason?: RegExp;
  /** The probe outage after the previous pass, and when the last one ended. */
  outage?: Pick<FleetSnapshot, 'probeOutage' | 'probeOutageEndedAt'>;
}

function check({ servers, settings, launchFailures, unmetDemand, actions, free, heldBack, heldBackBy, readyServers, reason, outage }: PolicyCase): void {
  const decision = decideScaling(snapshot(servers, launchFailures, unmetDemand, outage), { ...SETTINGS, ...settings });
  expect(decision.actions.map(summary)).toEqual(actions);
  for (const action of decision.actions) {
    if (action.kind !== 'stop') expect(action.reason).not.toHaveLength(0);
  }
  if (free !== undefined) expect(decision.freeCapacity).toBe(free);
  if (heldBack) expect(decision.heldBack?.detail).toMatch(heldBack);
  else expect(decision.heldBack).toBeUndefined();
  if (heldBackBy) expect(decision.heldBack?.by).toBe(heldBackBy);
  if (readyServers !== undefined) expect(decision.readyServers).toBe(readyServers);
  if (reason) expect(decision.actions.find((action) => action.kind !== 'stop')?.reason).toMatch(reason);
}

describe('decideScaling', () => {
  describe('margins', () => {
    it.each<PolicyCase>([
      { name: 'free exactly at the upscale margin: nothing to do', servers: [ready('a', 4)], actions: [], free: 4 },
      { name: 'free one below the upscale margin: one launch', servers: [ready('a', 3)], actions: ['launch 1'], free: 13, reason: /^free capacity 3 below upscale margin 4$/ },
      { name: 'free between the margins: nothing to do', servers: [ready('a', 5), ready('b', 6)], actions: [], free: 11 },
      { name: 'free exactly at the downscale margin: no drain', servers: [ready('a', 10), ready('b', 8)], actions: [], free: 18 },
      {
        name: 'free one above the downscale margin: drain the emptiest',
        servers: [ready('a', 9), ready('b', 10)],
        actions: ['drain b'],
        free: 9,
      },
    ])('$name', check);
  });

  describe('counting free capacity', () => {
    it.each<PolicyCase>([
      {
        name: 'free is already net of reservations: 3 free with 7 reserved is below the margin',
        servers: [ready('a', 3, { reserved: 7 })],
        actions: ['launch 1'],
        free: 13,
      },
      {
        name: 'reserved places add nothing: 4 free with 6 reserved is exactly at the margin',
        servers: [ready('a', 4, { reserved: 6 })],
        actions: [],
        free: 4,
      },
      {
        name: 'a launching server counts as a full server, so a slow launch is not launched twice',
        servers: [ready('a', 0), launching('l1')],
        actions: [],
        free: 10,
      },
      {
        name: 'each launching server counts SERVER_CAPACITY (2 x 3 = 6, one short of 7)',
        servers: [ready('a', 0), launching('l1'), launching('l2')],
        settings: { serverCapacity: 3, upscaleMargin: 7, downscaleMargin: 20 },
        actions: ['launch 1'],
        free: 9,
      },
      {
        name: 'an unhealthy server is not free capacity, whatever it last reported',
        servers: [ready('a', 2), unhealthy('u', 1, { free: 10 })],
        actions: ['launch 1'],
        free: 12,
      },
      {
        name: 'a draining server is not free capacity (15 counted, not 25 above the downscale margin)',
        servers: [ready('a', 10), ready('b', 5), draining('d', 10)],
        actions: [],
        free: 15,
      },
    ])('$name', check);
  });

  describe('bringing draining servers back', () => {
    it.each<PolicyCase>([
      {
        name: 'below the margin, a draining server with room is reactivated instead of launching',
        servers: [ready('a', 1), draining('d', 5)],
        actions: ['reactivate d'],
        free: 6,
      },
      {
        name: 'the draining server with most room goes first, and only as many as needed',
        servers: [ready('a', 1), draining('d1', 2), draining('d2', 6), draining('d3', 4)],
        actions: ['reactivate d2'],
        free: 7,
      },
      {
        name: 'several are reactivated if one is not enough; equal room goes to the older first',
        servers: [
          ready('a', 0),
          draining('d1', 1, { launchedAt: NOW - 10 * MINUTE }),
          draining('d2', 2),
          draining('d3', 1, { launchedAt: NOW - 2 * HOUR }),
        ],
        actions: ['reactivate d2', 'reactivate d3', 'reactivate d1'],
        free: 4,
      },
      {
        name: 'when every draining server is back and still short, launch for the rest',
        servers: [ready('a', 0), draining('d', 2)],
        actions: ['reactivate d', 'launch 1'],
        free: 12,
      },
      {
        name: 'a draining server with 0 free is not reactivated',
        servers: [ready('a', 0), draining('d', 0, { reserved: 2 })],
        actions: ['launch 1'],
        free: 10,
      },
      {
        name: 'a server reactivated this pass is not stopped, even if ready to close',
        servers: [ready('a', 0), draining('d', 10, { readyToClose: true })],
        actions: ['reactivate d'],
        free: 10,
      },
      {
        name: 'reactivation stops as soon as the margin is met exactly',
        servers: [ready('a', 0), draining('d1', 4), draining('d2', 3)],
        actions: ['reactivate d1'],
        free: 4,
        readyServers: 2,
      },
      {
        name: 'reactivation stops as soon as MIN_SERVERS is met exactly',
        servers: [ready('a', 10), draining('d1', 5), draining('d2', 3)],
        settings: { minServers: 2 },
        actions: ['reactivate d1'],
        free: 15,
      },
      {
        name: 'below MIN_SERVERS with the margin met, a draining server comes back before a launch',
        servers: [draining('d', 5)],
        settings: { upscaleMargin: 0 },
        actions: ['reactivate d'],
        free: 5,
      },
    ])('$name', check);
  });

  describe('launching', () => {
    it.each<PolicyCase>([
      {
        name: 'shortfall 25 with capacity 10 launches 3',
        servers: [ready('a', 0)],
        settings: { upscaleMargin: 25, downscaleMargin: 40, maxLaunchesInFlight: 5 },
        actions: ['launch 3'],
        free: 30,
      },
      {
        name: 'shortfall 20 with capacity 10 launches exactly 2',
        servers: [ready('a', 0)],
        settings: { upscaleMargin: 20, downscaleMargin: 40 },
        actions: ['launch 2'],
        free: 20,
      },
      {
        name: 'bounded by MAX_SERVERS: 3 wanted, room for 1',
        servers: [ready('a', 0), ready('b', 0)],
        settings: { upscaleMargin: 25, downscaleMargin: 40, maxServers: 3 },
        actions: ['launch 1'],
        free: 10,
        heldBack: /MAX_SERVERS=3/,
        heldBackBy: 'max-servers',
      },
      {
        name: 'at MAX_SERVERS no launch, and the decision says why',
        servers: [ready('a', 0), ready('b', 0)],
        settings: { maxServers: 2 },
        actions: [],
        free: 0,
        heldBack: /MAX_SERVERS=2 reached with 2 servers/,
      },
      {
        name: 'draining and unhealthy servers not being stopped count toward MAX_SERVERS',
        servers: [ready('a', 0), draining('d', 0), unhealthy('u', 1)],
        settings: { maxServers: 3 },
        actions: [],
        heldBack: /MAX_SERVERS=3 reached with 3 servers/,
      },
      {
        name: 'a server stopped this pass as unhealthy leaves room under MAX_SERVERS',
        servers: [ready('a', 0), ready('b', 0), unhealthy('u', 3)],
        settings: { maxServers: 3 },
        actions: ['stop u unhealthy', 'launch 1'],
        free: 10,
      },
      {
        name: 'a draining server stopped this pass as drained leaves room under MAX_SERVERS',
        servers: [ready('a', 0), draining('d', 0, { readyToClose: true })],
        settings: { maxServers: 2 },
        actions: ['launch 1', 'stop d drained'],
        free: 10,
      },
      {
        name: 'bounded by MAX_LAUNCHES_IN_FLIGHT minus those launching: 3 wanted, 1 allowed',
        servers: [launching('l1'), launching('l2')],
        settings: { upscaleMargin: 45, downscaleMargin: 60 },
        actions: ['launch 1'],
        free: 30,
        heldBack: /2 launches in flight \(MAX_LAUNCHES_IN_FLIGHT=3\)/,
        heldBackBy: 'launches-in-flight',
      },
      {
        name: 'room under MAX_SERVERS for exactly the launches wanted, fewer in flight: the launches in flight held back',
        servers: [launching('l1'), launching('l2')],
        settings: { upscaleMargin: 40, downscaleMargin: 60, maxServers: 4 },
        actions: ['launch 1'],
        free: 30,
        heldBack: /2 launches in flight/,
        heldBackBy: 'launches-in-flight',
      },
      {
        name: 'as many launching as MAX_LAUNCHES_IN_FLIGHT: no launch',
        servers: [launching('l1'), launching('l2')],
        settings: { upscaleMargin: 25, downscaleMargin: 40, maxLaunchesInFlight: 2 },
        actions: [],
        free: 20,
        heldBack: /MAX_LAUNCHES_IN_FLIGHT=2/,
      },
    ])('$name', check);
  });

  describe('MIN_SERVERS', () => {
    it.each<PolicyCase>([
      { name: 'an empty fleet launches', servers: [], actions: ['launch 1'], free: 10 },
      {
        name: 'an empty fleet launches MIN_SERVERS even if fewer would meet the margin',
        servers: [],
        settings: { minServers: 3 },
        actions: ['launch 3'],
        free: 30,
      },
      {
        name: 'MIN_SERVERS=0 and an empty fleet with free at the margin: nothing',
        servers: [],
        settings: { minServers: 0, upscaleMargin: 0 },
        actions: [],
        free: 0,
      },
      {
        name: 'MIN_SERVERS=0 and free above the margin: nothing',
        servers: [ready('a', 6)],
        settings: { minServers: 0 },
        actions: [],
        free: 6,
      },
      {
        name: 'fewer serving than MIN_SERVERS with plenty free: launch the missing one',
        servers: [ready('a', 10)],
        settings: { minServers: 2 },
        actions: ['launch 1'],
        free: 20,
        reason: /^1 servers below MIN_SERVERS=2$/,
      },
      {
        name: 'launching servers count toward MIN_SERVERS',
        servers: [ready('a', 10), launching('l')],
        settings: { minServers: 2 },
        actions: [],
        free: 20,
      },
      {
        // Replaced once given up (UNHEALTHY_THRESHOLD), as a single failed probe is no reason to pay for another server.
        name: 'an unhealthy server not yet given up counts toward MIN_SERVERS',
        servers: [ready('a', 10), unhealthy('u', 1)],
        settings: { minServers: 2 },
        actions: [],
        free: 10,
      },
      {
        name: 'an unhealthy server given up is replaced for MIN_SERVERS in the same pass',
        servers: [ready('a', 10), unhealthy('u', 3)],
        settings: { minServers: 2 },
        actions: ['stop u unhealthy', 'launch 1'],
        free: 20,
        reason: /^1 servers below MIN_SERVERS=2$/,
      },
      {
        name: 'no drain that would leave fewer ready servers than MIN_SERVERS',
        servers: [ready('a', 10), ready('b', 10)],
        settings: { minServers: 2 },
        actions: [],
        free: 20,
      },
      {
        name: 'a drain down to exactly MIN_SERVERS ready servers is allowed',
        servers: [ready('a', 10), ready('b', 10), ready('c', 0)],
        settings: { minServers: 2 },
        actions: ['drain a'],
        free: 10,
      },
    ])('$name', check);
  });

  describe('draining', () => {
    it.each<PolicyCase>([
      {
        name: 'the emptiest server (most free) is drained',
        servers: [ready('a', 4), ready('b', 10), ready('c', 6)],
        actions: ['drain b'],
        free: 10,
      },
      {
        name: 'among equally empty servers, the older is drained',
        servers: [ready('a', 10, { launchedAt: NOW - MINUTE }), ready('b', 10, { launchedAt: NOW - HOUR })],
        actions: ['drain b'],
        free: 10,
      },
      {
        name: 'only one server is drained per pass, however far above the margin',
        servers: [ready('a', 10), ready('b', 10), ready('c', 10), ready('d', 10), ready('e', 10, { launchedAt: NOW - 2 * HOUR })],
        actions: ['drain e'],
        free: 40,
      },
      {
        name: 'only ready servers are drained, never a draining one',
        servers: [ready('a', 5), ready('b', 14), draining('d', 10)],
        actions: ['drain b'],
        free: 5,
      },
      {
        name: 'nothing is drained while a launch is in flight, however much is free',
        servers: [ready('a', 5), ready('b', 4), draining('d', 10), launching('l')],
        actions: [],
        free: 19,
      },
      {
        name: 'once the launch has landed, the emptiest server drains',
        servers: [ready('a', 5), ready('b', 4), ready('l', 10)],
        actions: ['drain l'],
        free: 9,
      },
    ])('$name', check);
  });

  describe('players turned away (unmet demand)', () => {
    it.each<PolicyCase>([
      {
        name: 'a full fleet that turned 25 players away launches for them and for the margin: ceil((25 + 4) / 10) = 3',
        servers: [ready('a', 0)],
        unmetDemand: 25,
        actions: ['launch 3'],
        free: 5,
        reason: /^free capacity -25 below upscale margin 4 \(25 players turned away\)$/,
      },
      {
        name: 'a launch in flight does not hide players turned away: 10 coming places less 12 turned away is short by 6',
        servers: [ready('a', 0), launching('l')],
        unmetDemand: 12,
        actions: ['launch 1'],
        free: 8,
      },
      {
        name: 'with UPSCALE_MARGIN=0, players turned away still make the fleet grow',
        servers: [ready('a', 0)],
        settings: { upscaleMargin: 0, downscaleMargin: 11 },
        unmetDemand: 1,
        actions: ['launch 1'],
        free: 9,
      },
      {
        name: 'players turned away bring back a draining server with room first: 8 places cover 3 turned away and the margin of 4',
        servers: [ready('a', 0), draining('d', 8)],
        unmetDemand: 3,
        actions: ['reactivate d'],
        free: 5,
      },
      {
        name: 'when the draining server is not enough, a launch covers the rest',
        servers: [ready('a', 0), draining('d', 8)],
        unmetDemand: 6,
        actions: ['reactivate d', 'launch 1'],
        free: 12,
      },
      {
        name: 'turned-away players already covered by free places change nothing',
        servers: [ready('a', 9)],
        unmetDemand: 2,
        actions: [],
        free: 7,
      },
    ])('$name', check);
  });

  describe('stopping draining servers', () => {
    it.each<PolicyCase>([
      {
        name: 'ready to close with nothing reserved: stopped as drained',
        servers: [ready('a', 10), draining('d', 5, { readyToClose: true })],
        actions: ['stop d drained'],
      },
      {
        name: 'ready to close but a place still reserved: kept',
        servers: [ready('a', 10), draining('d', 5, { readyToClose: true, reserved: 1 })],
        actions: [],
      },
      {
        name: 'not ready to close (players in game): kept',
        servers: [ready('a', 10), draining('d', 5)],
        actions: [],
      },
      {
        name: 'a drain and a drained stop in the same pass',
        servers: [ready('a', 10), ready('b', 9), draining('d', 10, { readyToClose: true })],
        actions: ['drain a', 'stop d drained'],
        free: 9,
        readyServers: 1,
      },
    ])('$name', check);
  });

  describe('unhealthy servers', () => {
    it.each<PolicyCase>([
      {
        name: 'one failure below UNHEALTHY_THRESHOLD: kept',
        servers: [ready('a', 10), unhealthy('u', 2)],
        actions: [],
        free: 10,
      },
      {
        name: 'exactly UNHEALTHY_THRESHOLD failures: stopped',
        servers: [ready('a', 10), unhealthy('u', 3)],
        actions: ['stop u unhealthy'],
        free: 10,
      },
      {
        name: 'UNHEALTHY_THRESHOLD=1 stops at the first failure',
        servers: [ready('a', 10), unhealthy('u', 1)],
        settings: { unhealthyThreshold: 1 },
        actions: ['stop u unhealthy'],
      },
      {
        name: 'a stopped unhealthy server is replaced when the margin needs it',
        servers: [ready('a', 2), unhealthy('u', 3)],
        actions: ['stop u unhealthy', 'launch 1'],
        free: 12,
      },
    ])('$name', check);
  });

  describe('players first: UNHEALTHY_PLAYER_GRACE (3 min here)', () => {
    it.each<PolicyCase>([
      {
        name: 'a failing server whose last report showed players is kept within the grace, and gets no players',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 5, { readyToClose: false, lastHealthyAt: NOW - 3 * MINUTE + 1 })],
        actions: [],
        free: 10,
      },
      {
        name: 'once the grace has passed it is stopped',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 5, { readyToClose: false, lastHealthyAt: NOW - 3 * MINUTE })],
        actions: ['stop u unhealthy'],
      },
      {
        name: 'a failing server whose last report showed no players is stopped at the threshold, as before',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 3, { readyToClose: true, lastHealthyAt: NOW - SECOND })],
        actions: ['stop u unhealthy'],
      },
      {
        name: 'with players and within the grace, it is not replaced either: the margin counts without it',
        servers: [ready('a', 2), ready('b', 1), unhealthy('u', 3, { readyToClose: false, lastHealthyAt: NOW - MINUTE })],
        actions: ['launch 1'],
        free: 13,
      },
      {
        name: 'UNHEALTHY_PLAYER_GRACE=0 stops it at the threshold',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 3, { readyToClose: false, lastHealthyAt: NOW - SECOND })],
        settings: { unhealthyPlayerGraceMs: 0 },
        actions: ['stop u unhealthy'],
      },
    ])('$name', check);
  });

  describe('probe outage: most servers that were healthy fail at once (PROBE_OUTAGE_THRESHOLD 0.5)', () => {
    /** Failing since at most UNHEALTHY_THRESHOLD (3) probes: it broke together with the others. */
    const failing = (id: string, failures = 1) => unhealthy(id, failures, { readyToClose: true, lastHealthyAt: NOW - SECOND });
    /** Failing for long: whatever broke it, it was not this. */
    const longFailing = (id: string) => unhealthy(id, 50, { readyToClose: true, lastHealthyAt: NOW - HOUR });
    const previous = (...serverIds: string[]) => ({ probeOutage: { serverIds, failing: serverIds.length, of: serverIds.length } });
    it.each<PolicyCase>([
      {
        name: 'every server failing: nothing stopped, nothing launched, and the decision says why',
        servers: [failing('u1'), failing('u2'), failing('u3')],
        actions: [],
        heldBack: /3 of 3 servers that were healthy fail their probes at once/,
        heldBackBy: 'probe-outage',
      },
      {
        name: 'more than half failing: the ones that answer keep serving, and nothing is stopped or launched',
        servers: [ready('a', 1), ready('b', 1), failing('u1'), failing('u2'), failing('u3', 3)],
        actions: [],
        heldBack: /3 of 5 servers/,
      },
      {
        name: 'exactly half failing is no outage: one stop a pass (10 % of 4, at least 1), the longest failing first',
        servers: [ready('a', 5), ready('b', 5), failing('u1', 3), failing('u2', 3)],
        actions: ['stop u1 unhealthy'],
      },
      {
        name: 'servers that failed long before do not make an outage: they are stopped at the limited rate',
        servers: [ready('a', 5), ready('b', 5), longFailing('u1'), longFailing('u2'), longFailing('u3')],
        actions: ['stop u1 unhealthy'],
      },
      {
        name: 'a single server failing is no outage, even alone in the fleet: it is replaced',
        servers: [failing('u1', 3)],
        actions: ['stop u1 unhealthy', 'launch 1'],
      },
      {
        name: 'a launch that timed out is not stopped in an outage: its probes may fail for the same reason',
        servers: [failing('u1'), failing('u2'), launching('l', { launchedAt: NOW - HOUR })],
        actions: [],
      },
      {
        name: 'no drain on the room counted in an outage: the failing servers may hold the players',
        servers: [ready('a', 10), ready('b', 10), failing('u1'), failing('u2'), failing('u3')],
        settings: { minServers: 0, downscaleMargin: 15 },
        actions: [],
        heldBack: /3 of 5 servers/,
        heldBackBy: 'probe-outage',
      },
      {
        name: 'draining servers count among those that were healthy: 2 failing of 5 (1 ready, 2 draining) is no outage',
        servers: [ready('a', 5), draining('d1', 5), draining('d2', 5), failing('u1', 3), failing('u2', 3)],
        actions: ['stop u1 unhealthy'],
      },
      {
        name: 'a drained server that answers is still stopped in an outage',
        servers: [ready('a', 5), failing('u1'), failing('u2'), failing('u3'), draining('d', 10, { readyToClose: true })],
        actions: ['stop d drained'],
      },
      {
        name: 'it lasts while most of the servers that failed together still fail, however long they have failed',
        servers: [ready('a', 5), longFailing('u1'), longFailing('u2'), ready('u3', 5)],
        outage: previous('u1', 'u2', 'u3'),
        actions: [],
      },
      {
        name: 'it ends when most of them answer again; those still failing are then stopped at the limited rate',
        servers: [ready('a', 5), longFailing('u1'), ready('u2', 5), ready('u3', 5)],
        outage: previous('u1', 'u2', 'u3'),
        actions: ['stop u1 unhealthy'],
      },
      {
        name: 'one of the servers that failed together being stopped no longer counts: 2 of the 3 left still fail, so it lasts',
        servers: [ready('a', 5), longFailing('u1'), longFailing('u2'), ready('u3', 5), stopping('u4')],
        outage: previous('u1', 'u2', 'u3', 'u4'),
        actions: [],
      },
      {
        name: 'one of the servers that failed together gone: 2 of the 3 left still fail, so it lasts',
        servers: [ready('a', 5), longFailing('u1'), longFailing('u2'), ready('u3', 5)],
        outage: previous('u1', 'u2', 'u3', 'u4'),
        actions: [],
      },
      {
        // The fault ended in the middle of a pass: the rest answer in the next one.
        name: 'the pass that sees it end launches nothing for MIN_SERVERS while half the fleet has yet to answer again',
        servers: [
          ...['a', 'b', 'c', 'd', 'e'].map((id) => ready(id, 9)),
          ...['u1', 'u2', 'u3', 'u4', 'u5'].map((id) => unhealthy(id, 50, { readyToClose: false, lastHealthyAt: NOW - HOUR })),
        ],
        settings: { minServers: 10 },
        outage: previous('a', 'b', 'c', 'd', 'e', 'u1', 'u2', 'u3', 'u4', 'u5'),
        actions: [],
      },
      {
        name: 'it ends when the servers that failed together are gone',
        servers: [ready('a', 5), ready('b', 5)],
        outage: previous('u1', 'u2', 'u3'),
        actions: [],
      },
      {
        name: 'PROBE_OUTAGE_THRESHOLD=1 turns it off',
        servers: [failing('u1'), failing('u2')],
        settings: { probeOutageThreshold: 1, unhealthyThreshold: 1 },
        actions: ['stop u1 unhealthy', 'launch 1'],
      },
      {
        name: 'PROBE_OUTAGE_THRESHOLD=0: any two servers failing together are an outage',
        servers: [...Array.from({ length: 8 }, (_, i) => ready(`r${i}`, 1)), failing('u1'), failing('u2')],
        settings: { probeOutageThreshold: 0 },
        actions: [],
      },
      {
        name: 'launching servers are not counted: 2 failing of 3 healthy, with 5 launching, is an outage',
        servers: [ready('a', 10), failing('u1'), failing('u2'), ...['l1', 'l2', 'l3', 'l4', 'l5'].map((id) => launching(id))],
        actions: [],
      },
    ])('$name', check);

    it('reports the outage with its figures and its servers, and none outside one', () => {
      expect(decideScaling(snapshot([ready('a', 5), failing('u1'), failing('u2')]), SETTINGS).probeOutage).toEqual({ serverIds: ['u1', 'u2'], failing: 2, of: 3 });
      expect(decideScaling(snapshot([ready('a', 5), ready('b', 5), failing('u1')]), SETTINGS).probeOutage).toBeUndefined();
    });
  });

  describe('the players grace after a probe outage, and places handed out', () => {
    it.each<PolicyCase>([
      {
        name: 'a server with players still failing when an outage ends gets its whole grace from the end',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 50, { readyToClose: false, lastHealthyAt: NOW - HOUR })],
        outage: { probeOutageEndedAt: NOW - MINUTE },
        actions: [],
      },
      {
        name: 'the pass that sees the outage end counts as its end: a server with players failing all through it is kept',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 50, { readyToClose: false, lastHealthyAt: NOW - HOUR })],
        outage: { probeOutage: { serverIds: ['a', 'b', 'u'], failing: 3, of: 3 }, probeOutageEndedAt: NOW - 24 * HOUR },
        actions: [],
      },
      {
        name: 'and is stopped once that grace has passed',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 50, { readyToClose: false, lastHealthyAt: NOW - HOUR })],
        outage: { probeOutageEndedAt: NOW - 3 * MINUTE },
        actions: ['stop u unhealthy'],
      },
      {
        name: 'a server that reported no players but was handed places since gets the grace too',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u', 3, { readyToClose: true, reserved: 1, lastHealthyAt: NOW - SECOND })],
        actions: [],
      },
    ])('$name', check);
  });

  describe('stops for failed probes are rate-limited outside an outage: 10 % of the servers that were healthy a pass, at least 1', () => {
    const failing = (id: string, failures = 3) => unhealthy(id, failures, { readyToClose: true, lastHealthyAt: NOW - MINUTE });
    const readyServers = (count: number) => Array.from({ length: count }, (_, i) => ready(`r${String(i).padStart(2, '0')}`, 1));
    it.each<PolicyCase>([
      { name: '3 failing of 20: 2 stopped this pass, the longest failing first', servers: [...readyServers(17), failing('u1', 3), failing('u2', 9), failing('u3', 5)], actions: ['stop u2 unhealthy', 'stop u3 unhealthy'] },
      { name: '2 failing of 10: 1 stopped this pass', servers: [...readyServers(8), failing('u1', 3), failing('u2', 4)], actions: ['stop u2 unhealthy'] },
      {
        name: 'launching and stopping servers were not healthy: 2 failing of 10, beside 10 launching and 2 stopping, is still 1 a pass',
        servers: [...readyServers(8), failing('u1', 3), failing('u2', 4), ...Array.from({ length: 10 }, (_, i) => launching(`l${i}`)), stopping('s1'), stopping('s2')],
        actions: ['stop u2 unhealthy'],
      },
      {
        name: 'draining servers were healthy: 2 failing of 20 (2 of them draining) are both stopped',
        servers: [...readyServers(16), draining('d1', 0), draining('d2', 0), failing('u1', 3), failing('u2', 4)],
        actions: ['stop u2 unhealthy', 'stop u1 unhealthy'],
      },
      {
        name: 'as many failures: the one healthy longest ago first',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u1', 5, { readyToClose: true, lastHealthyAt: NOW - MINUTE }), unhealthy('u2', 5, { readyToClose: true, lastHealthyAt: NOW - 2 * MINUTE })],
        actions: ['stop u2 unhealthy'],
      },
      {
        name: 'as many failures: the one healthy longest ago first, listed the other way round',
        servers: [ready('a', 5), ready('b', 5), unhealthy('u2', 5, { readyToClose: true, lastHealthyAt: NOW - 2 * MINUTE }), unhealthy('u1', 5, { readyToClose: true, lastHealthyAt: NOW - MINUTE })],
        actions: ['stop u2 unhealthy'],
      },
      {
        name: 'a failing server left for a later pass still takes its place under MAX_SERVERS',
        servers: [ready('a', 0), failing('u1', 5), failing('u2', 4)],
        settings: { maxServers: 3, upscaleMargin: 15, downscaleMargin: 40 },
        actions: ['stop u1 unhealthy', 'launch 1'],
        heldBack: /MAX_SERVERS=3 reached with 2 servers/,
        heldBackBy: 'max-servers',
      },
    ])('$name', check);
  });

  describe('launch timeout', () => {
    it.each<PolicyCase>([
      {
        name: 'launching for exactly the timeout: kept, and still counted',
        servers: [ready('a', 0), launching('l', { launchedAt: NOW - 5 * MINUTE })],
        actions: [],
        free: 10,
      },
      {
        name: 'launching 1 ms past the timeout: stopped, and it counts as a launch failure, so the replacement waits out the back-off',
        servers: [ready('a', 0), launching('l', { launchedAt: NOW - 5 * MINUTE - 1 })],
        actions: ['stop l launch-timeout'],
        free: 0,
        heldBack: /1 launch failures in a row/,
      },
      {
        name: 'a timed-out launch adds to the failures already counted',
        servers: [ready('a', 0), launching('l', { launchedAt: NOW - HOUR })],
        launchFailures: { consecutive: 2, lastAt: NOW - HOUR },
        actions: ['stop l launch-timeout'],
        free: 0,
        heldBack: /3 launch failures in a row/,
      },
      {
        name: 'a timed-out launch no longer takes a place in flight once the back-off has passed',
        servers: [ready('a', 0), launching('l', { launchedAt: NOW - HOUR }), launching('m', { launchedAt: NOW - 1 })],
        settings: { maxLaunchesInFlight: 1, launchBackoffBaseMs: 0 },
        actions: ['stop l launch-timeout'],
        free: 10,
      },
    ])('$name', check);
  });

  describe('rolling out a new version: outdated servers drained ROLLOUT_MAX_DRAINING (1) at a time, while the margin holds', () => {
    const old = (id: string, free: number, fields: Partial<ServerView> = {}) => ready(id, free, { outdated: true, ...fields });
    it.each<PolicyCase>([
      {
        name: 'the margin holds without the emptiest outdated server: it drains',
        servers: [ready('a', 5), old('o1', 4), old('o2', 8)],
        actions: ['drain o2'],
        free: 9,
        readyServers: 2,
      },
      { name: 'the margin holds exactly without it: it drains', servers: [ready('a', 4), old('o1', 4)], actions: ['drain o1'], free: 4 },
      {
        name: 'it would not hold: one server of the new version first (a surge of one)',
        servers: [ready('a', 2), old('o1', 3)],
        actions: ['launch 1'],
        free: 15,
      },
      { name: 'free exactly at the upscale margin is no shortage: the rollout goes on with a surge', servers: [ready('a', 0), old('o1', 4)], actions: ['launch 1'], free: 14 },
      {
        name: 'the rollout goes on the moment the launch back-off ends',
        servers: [ready('a', 5), old('o1', 4), old('o2', 8)],
        launchFailures: { consecutive: 1, lastAt: NOW - 5 * SECOND },
        actions: ['drain o2'],
      },
      { name: 'a draining server does not count toward MIN_SERVERS for it', servers: [ready('a', 9), old('o1', 4), draining('d', 0)], settings: { minServers: 2 }, actions: ['launch 1'] },
      { name: 'nothing while a launch is in flight: an old server goes only for room that is up', servers: [ready('a', 2), old('o1', 3), launching('l')], actions: [] },
      {
        name: 'nothing during the launch back-off: a new version that fails to start stalls the rollout',
        servers: [ready('a', 5), old('o1', 4), old('o2', 8)],
        launchFailures: { consecutive: 2, lastAt: NOW - SECOND },
        actions: [],
      },
      {
        name: 'no second surge while a launch is in flight',
        servers: [ready('a', 0), old('o1', 3), launching('l')],
        settings: { serverCapacity: 3, downscaleMargin: 12 },
        actions: [],
      },
      { name: 'one outdated server already draining: the next waits (the pace)', servers: [ready('a', 5), old('o1', 8), old('o2', 8, { state: 'draining' })], actions: [] },
      {
        name: 'ROLLOUT_MAX_DRAINING=2: a second one drains',
        servers: [ready('a', 9), old('o1', 6), old('o2', 8, { state: 'draining' })],
        settings: { rolloutMaxDraining: 2 },
        actions: ['drain o1'],
        reason: /^rolling out: 2 server\(s\) run an older version; /,
      },
      { name: 'ROLLOUT_MAX_DRAINING=0: no rollout', servers: [ready('a', 5), old('o1', 4), old('o2', 8)], settings: { rolloutMaxDraining: 0 }, actions: [] },
      { name: 'never below MIN_SERVERS for it', servers: [ready('a', 9), old('o1', 4)], settings: { minServers: 2 }, actions: ['launch 1'] },
      { name: 'no surge at MAX_SERVERS', servers: [ready('a', 2), old('o1', 3)], settings: { maxServers: 2 }, actions: [] },
      {
        name: 'scaling down in a rollout: an outdated server goes first, even a fuller one (a current one would only be launched again)',
        servers: [ready('a', 10), old('o1', 9), ready('b', 10)],
        actions: ['drain o1'],
      },
      {
        name: 'scaling down with ROLLOUT_MAX_DRAINING=0: the emptiest goes, outdated or not',
        servers: [ready('a', 10), old('o1', 9), ready('b', 10)],
        settings: { rolloutMaxDraining: 0 },
        actions: ['drain a'],
      },
      {
        name: 'short of room, a current draining server comes back before an outdated one with more room',
        servers: [ready('a', 0), old('o1', 9, { state: 'draining' }), draining('d', 5)],
        actions: ['reactivate d'],
      },
      {
        name: 'short of room, a current draining server comes back first, listed the other way round',
        servers: [ready('a', 0), draining('d', 5), old('o1', 9, { state: 'draining' })],
        actions: ['reactivate d'],
      },
      {
        name: 'nothing is rolled out in a probe outage',
        servers: [ready('a', 5), old('o1', 4), unhealthy('u1', 1, { readyToClose: true, lastHealthyAt: NOW - SECOND }), unhealthy('u2', 1, { readyToClose: true, lastHealthyAt: NOW - SECOND }), unhealthy('u3', 1, { readyToClose: true, lastHealthyAt: NOW - SECOND })],
        actions: [],
      },
    ])('$name', check);
  });

  describe('drain timeout', () => {
    it.each<PolicyCase>([
      {
        name: 'DRAIN_TIMEOUT 0: a draining server with players is kept however long it drains',
        servers: [ready('a', 10), draining('d', 5, { drainingSince: NOW - 30 * 24 * HOUR })],
        actions: [],
      },
      {
        name: 'draining for exactly the drain timeout: kept',
        servers: [ready('a', 10), draining('d', 5, { drainingSince: NOW - 10 * MINUTE })],
        settings: { drainTimeoutMs: 10 * MINUTE },
        actions: [],
      },
      {
        name: 'draining 1 ms past the drain timeout: stopped even with players',
        servers: [ready('a', 10), draining('d', 5, { drainingSince: NOW - 10 * MINUTE - 1 })],
        settings: { drainTimeoutMs: 10 * MINUTE },
        actions: ['stop d drain-timeout'],
      },
      {
        name: 'a draining server without a drain start time is not timed out',
        servers: [ready('a', 10), draining('d', 5, { drainingSince: undefined })],
        settings: { drainTimeoutMs: 10 * MINUTE },
        actions: [],
      },
    ])('$name', check);
  });

  describe('launch back-off', () => {
    it.each<PolicyCase>([
      {
        name: '1 failure: held back 1 ms before the base delay has passed',
        servers: [ready('a', 0)],
        launchFailures: { consecutive: 1, lastAt: NOW - 5 * SECOND + 1 },
        actions: [],
        free: 0,
        heldBack: /1 launch failures in a row; next launch in 1 ms/,
        heldBackBy: 'launch-backoff',
      },
      {
        name: '1 failure: launches once the base delay has passed',
        servers: [ready('a', 0)],
        launchFailures: { consecutive: 1, lastAt: NOW - 5 * SECOND },
        actions: ['launch 1'],
      },
      {
        name: '3 failures: the delay has doubled twice (20 s), held back at 19.999 s',
        servers: [ready('a', 0)],
        launchFailures: { consecutive: 3, lastAt: NOW - 20 * SECOND + 1 },
        actions: [],
        heldBack: /3 launch failures in a row/,
      },
      {
        name: '3 failures: launches at 20 s',
        servers: [ready('a', 0)],
        launchFailures: { consecutive: 3, lastAt: NOW - 20 * SECOND },
        actions: ['launch 1'],
      },
      {
        name: '20 failures: the delay is capped at the maximum, held back just before it',
        servers: [ready('a', 0)],
        launchFailures: { consecutive: 20, lastAt: NOW - 300 * SECOND + 1 },
        actions: [],
        heldBack: /next launch in 1 ms/,
      },
      {
        name: '20 failures: launches once the capped delay has passed',
        servers: [ready('a', 0)],
        launchFailures: { consecutive: 20, lastAt: NOW - 300 * SECOND },
        actions: ['launch 1'],
      },
      {
        name: 'back-off does not hold back a reactivation',
        servers: [ready('a', 0), draining('d', 5)],
        launchFailures: { consecutive: 2, lastAt: NOW },
        actions: ['reactivate d'],
      },
      {
        name: 'back-off does not hold back stops',
        servers: [ready('a', 0), unhealthy('u', 3)],
        launchFailures: { consecutive: 2, lastAt: NOW },
        actions: ['stop u unhealthy'],
        heldBack: /2 launch failures in a row/,
      },
      {
        name: 'back-off with no launch needed reports nothing held back',
        servers: [ready('a', 10)],
        launchFailures: { consecutive: 4, lastAt: NOW },
        actions: [],
      },
    ])('$name', check);
  });

  describe("servers in state 'stopping'", () => {
    it.each<PolicyCase>([
      {
        name: 'are not free capacity, not counted toward MAX_SERVERS and not stopped again',
        servers: [ready('a', 0), stopping('s', { consecutiveFailures: 5 })],
        settings: { maxServers: 2 },
        actions: ['launch 1'],
        free: 10,
      },
      {
        name: 'are never drained or reactivated',
        servers: [ready('a', 10), ready('b', 9), stopping('s', { free: 10 })],
        actions: ['drain a'],
        free: 9,
      },
    ])('$name', check);
  });

  it('reports the figures after its actions', () => {
    const decision = decideScaling(snapshot([ready('a', 0), draining('d', 2), launching('l1')]), {
      ...SETTINGS,
      upscaleMargin: 25,
      downscaleMargin: 40,
    });
    expect(decision.actions.map(summary)).toEqual(['reactivate d', 'launch 2']);
    expect(decision).toMatchObject({ freeCapacity: 32, readyServers: 2, launchingServers: 3 });
  });

  it('is deterministic and leaves its input untouched', () => {
    const servers = [
      ready('a', 1),
      ready('b', 0, { reserved: 3 }),
      draining('d1', 1),
      draining('d2', 1, { launchedAt: NOW - 2 * HOUR }),
      draining('d3', 0, { readyToClose: true }),
      launching('l1', { launchedAt: NOW - HOUR }),
      unhealthy('u1', 3),
      unhealthy('u2', 1),
      stopping('s'),
    ];
    const input = snapshot(servers, { consecutive: 1, lastAt: NOW - HOUR });
    const copy = structuredClone(input);
    const settings = { ...SETTINGS, upscaleMargin: 15, downscaleMargin: 30 };

    const first = decideScaling(input, settings);
    const second = decideScaling(input, settings);

    expect(second).toEqual(first);
    expect(input).toEqual(copy);
    expect(first.actions.map(summary)).toEqual([
      'stop l1 launch-timeout',
      'stop u1 unhealthy',
      'reactivate d2',
      'reactivate d1',
      'stop d3 drained',
    ]);
  });

  it('chooses the same servers whatever the order they are listed in', () => {
    const servers = [ready('a', 10), ready('b', 10, { launchedAt: NOW - 2 * HOUR }), ready('c', 3)];
    const chosen = [servers, [...servers].reverse(), [servers[1], servers[2], servers[0]]].map((order) =>
      decideScaling(snapshot(order), SETTINGS).actions.map(summary),
    );
    expect(chosen).toEqual([['drain b'], ['drain b'], ['drain b']]);
  });
});

describe('launchBackoffMs', () => {
  it.each([
    { failures: -1, expected: 0 },
    { failures: 0, expected: 0 },
    { failures: 1, expected: 5 * SECOND },
    { failures: 2, expected: 10 * SECOND },
    { failures: 3, expected: 20 * SECOND },
    { failures: 6, expected: 160 * SECOND },
    { failures: 7, expected: 300 * SECOND },
    { failures: 2000, expected: 300 * SECOND },
  ])('$failures failures in a row wait $expected ms', ({ failures, expected }) => {
    expect(launchBackoffMs(failures, SETTINGS)).toBe(expected);
  });
});
