import { CapacityWindow, parseCapacitySchedule } from '../config/capacity-schedule';
import { MarginMode } from '../config/settings';
import { validateSettings } from '../config/validate-settings';
import { PolicySettings } from '../domain/fleet-snapshot';
import { policySettingsFrom } from '../scaling/policy-settings';

/** The manager's settings that change what a simulation does; the others (ports, AWS, ...) do not matter here. */
export const SIMULATED_SETTINGS = [
  'UPSCALE_MARGIN',
  'DOWNSCALE_MARGIN',
  'SERVER_CAPACITY',
  'SLEEP_TIME',
  'MIN_SERVERS',
  'MAX_SERVERS',
  'MAX_LAUNCHES_IN_FLIGHT',
  'LAUNCH_TIMEOUT',
  'DRAIN_TIMEOUT',
  'LAUNCH_BACKOFF_BASE',
  'LAUNCH_BACKOFF_MAX',
  'MARGIN_MODE',
  'CAPACITY_SCHEDULE',
] as const;

export interface ManagerSettings {
  readonly settings: PolicySettings;
  readonly sleepTimeSeconds: number;
  readonly marginMode: MarginMode;
  readonly schedule: readonly CapacityWindow[];
}

/**
 * Reads the settings as the manager does (same defaults, same validation, same messages), so a
 * configuration the simulator accepts is one the manager would start with.
 */
export function managerSettings(env: Readonly<Record<string, string>>): ManagerSettings {
  const simulated = Object.fromEntries(Object.entries(env).filter(([key]) => (SIMULATED_SETTINGS as readonly string[]).includes(key)));
  const settings = validateSettings({ ...simulated, PLATFORM: 'local' });
  return {
    settings: policySettingsFrom(settings),
    sleepTimeSeconds: settings.SLEEP_TIME,
    marginMode: settings.MARGIN_MODE,
    schedule: settings.CAPACITY_SCHEDULE ? parseCapacitySchedule(settings.CAPACITY_SCHEDULE) : [],
  };
}
