import { InvalidScheduleError, parseCapacitySchedule } from './capacity-schedule';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { SECRET_SETTINGS, Settings, crossFieldErrors } from './settings';
import { parseTrustedProxies, TRUSTED_PROXIES_FORM } from './trusted-proxies';

export class InvalidSettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'InvalidSettingsError';
  }
}

/**
 * Turns raw environment variables into Settings, or throws with one line per bad variable,
 * each naming the variable, the value it had and what is allowed.
 */
export function validateSettings(env: Record<string, unknown>): Settings {
  const known = Object.keys(new Settings());
  // An empty value means "not set"; passed on, it would replace the default with undefined and fail validation.
  const raw = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== ''),
  );
  const settings = plainToInstance(Settings, raw, { exposeDefaultValues: true });
  const problems = validateSync(settings, { forbidUnknownValues: false }).map((error) => {
    const allowed = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
    const value = raw[error.property];
    const shown = SECRET_SETTINGS.has(error.property) ? `<hidden, ${String(value).length} characters>` : JSON.stringify(value);
    return `Invalid setting ${error.property}=${shown}: ${allowed}`;
  });
  if (settings.CAPACITY_SCHEDULE !== undefined) {
    try {
      parseCapacitySchedule(settings.CAPACITY_SCHEDULE);
    } catch (error) {
      if (!(error instanceof InvalidScheduleError)) throw error;
      problems.push(`Invalid setting CAPACITY_SCHEDULE: ${error.message}`);
    }
  }
  if (settings.TRUSTED_PROXIES !== undefined) {
    try {
      parseTrustedProxies(settings.TRUSTED_PROXIES);
    } catch (error) {
      problems.push(`Invalid setting TRUSTED_PROXIES=${JSON.stringify(settings.TRUSTED_PROXIES)}: ${error instanceof Error ? error.message : String(error)}; ${TRUSTED_PROXIES_FORM}`);
    }
  }
  if (problems.length === 0) problems.push(...crossFieldErrors(settings).map((p) => `Invalid settings: ${p}`));
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}
