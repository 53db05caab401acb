import { FleetSnapshot, PolicySettings, ServerView } from '../domain/fleet-snapshot';
import { ScalingAction } from '../domain/scaling-action';

/**
 * The earlier manager's policy, kept only as a baseline for the simulator's comparison; the
 * manager itself never runs it. As described in issue 7: free capacity is what ready servers
 * report; below the upscale margin it brings one standby (draining) server back, or else launches
 * exactly one server; above the downscale margin it drains the emptiest server; a standby server
 * that is ready to close is stopped. It had no MIN_SERVERS, MAX_SERVERS or launch limit, and its
 * launch blocked its loop until the server was up; that part is the simulator's to model
 * (`launchBlocksLoop` in scaling-policies.ts), not this function's.
 */
export function decideLegacyScaling(snapshot: FleetSnapshot, settings: Pick<PolicySettings, 'upscaleMargin' | 'downscaleMargin'>): ScalingAction[] {
  const ready = snapshot.servers.filter((server) => server.state === 'ready');
  const standby = snapshot.servers.filter((server) => server.state === 'draining');
  const free = ready.reduce((sum, server) => sum + server.free, 0);
  const actions: ScalingAction[] = [];
  let reactivated: ServerView | undefined;

  if (free < settings.upscaleMargin) {
    reactivated = standby.filter((server) => server.free > 0).sort((a, b) => b.free - a.free)[0];
    actions.push(
      reactivated
        ? { kind: 'reactivate', serverId: reactivated.id, reason: `legacy: free ${free} below ${settings.upscaleMargin}, standby server back` }
        : { kind: 'launch', count: 1, reason: `legacy: free ${free} below ${settings.upscaleMargin}` },
    );
  } else if (free > settings.downscaleMargin && ready.length > 1) {
    const emptiest = ready.reduce((a, b) => (b.free > a.free ? b : a));
    actions.push({ kind: 'drain', serverId: emptiest.id, reason: `legacy: free ${free} above ${settings.downscaleMargin}` });
  }

  for (const server of standby) {
    if (server !== reactivated && server.readyToClose) actions.push({ kind: 'stop', serverId: server.id, reason: 'drained' });
  }
  return actions;
}
