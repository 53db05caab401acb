import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Settings, crossFieldErrors } from './settings';

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
  const raw = Object.fromEntries(Object.entries(env).filter(([key]) => known.includes(key)));
  const settings = plainToInstance(Settings, raw, { exposeDefaultValues: true });
  const problems = validateSync(settings, { forbidUnknownValues: false }).map((error) => {
    const allowed = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
    return `Invalid setting ${error.property}=${JSON.stringify(raw[error.property])}: ${allowed}`;
  });
  if (problems.length === 0) problems.push(...crossFieldErrors(settings).map((p) => `Invalid settings: ${p}`));
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}
