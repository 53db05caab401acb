import { CapacityFloor, CapacityWindow } from '../config/capacity-schedule';
import { PolicySettings } from '../domain/fleet-snapshot';
import { ScheduledFloor } from '../domain/margins';

const NO_FLOOR: ScheduledFloor = { freePlaces: 0, minServers: 0, windows: [] };

/**
 * The floor of every window that is on, or starts within its lead time (scheduleLeadMs: the
 * capacity is there when the window begins, not a boot after). Floors of windows that overlap
 * add nothing up: each asks for its own, the largest wins. Pure: the same time, the same floor.
 */
export function scheduledFloor(windows: readonly CapacityWindow[], now: number, leadMs: (floor: CapacityFloor) => number): ScheduledFloor {
  let floor = NO_FLOOR;
  for (const window of windows) {
    if (!overlaps(window, now, now + leadMs(window.floor))) continue;
    floor = {
      freePlaces: Math.max(floor.freePlaces, window.floor.freePlaces),
      minServers: Math.max(floor.minServers, window.floor.minServers),
      windows: [...floor.windows, window.name],
    };
  }
  return floor;
}

/** Whether the window is on at some moment of [from, to]. */
function overlaps({ when }: CapacityWindow, from: number, to: number): boolean {
  if (when.kind === 'once') return when.start <= to && when.end > from;
  // The first firing after (from - minutes) is the only one that can still be on at `from`, or start by `to`.
  const lengthMs = when.minutes * 60_000;
  const next = when.cron.getNextDateFrom(new Date(from - lengthMs), when.timeZone).toMillis();
  return next <= to;
}

/**
 * How long before a window its floor must be asked for: the servers it needs come up in waves of
 * MAX_LAUNCHES_IN_FLIGHT, each as slow as the slowest boot, after a pass.
 */
export function scheduleLeadMs(floor: CapacityFloor, slowestBootMs: number, passGapMs: number, s: Pick<PolicySettings, 'serverCapacity' | 'maxLaunchesInFlight'>): number {
  const servers = Math.ceil(floor.freePlaces / s.serverCapacity) + floor.minServers;
  return passGapMs + Math.max(1, Math.ceil(servers / s.maxLaunchesInFlight)) * slowestBootMs;
}

/** The settings a pass decides with, raised to the floor: more free places (the gap kept), more servers. */
export function withFloor(settings: PolicySettings, floor: CapacityFloor): PolicySettings {
  const raise = Math.max(0, floor.freePlaces - settings.upscaleMargin);
  return {
    ...settings,
    upscaleMargin: settings.upscaleMargin + raise,
    downscaleMargin: settings.downscaleMargin + raise,
    minServers: Math.min(settings.maxServers, Math.max(settings.minServers, floor.minServers)),
  };
}
