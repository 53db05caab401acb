import { Injectable, Logger } from '@nestjs/common';
import { CapacityWindow, parseCapacitySchedule } from '../config/capacity-schedule';
import { MarginMode, Settings } from '../config/settings';
import { InvalidSettingsError, validateSettings } from '../config/validate-settings';
import { PolicySettings } from '../domain/fleet-snapshot';
import { policySettingsFrom } from './policy-settings';

/** The settings an operator may change without a restart. */
export const TUNABLE_SETTINGS = ['MARGIN_MODE', 'UPSCALE_MARGIN', 'DOWNSCALE_MARGIN', 'MIN_SERVERS', 'MAX_SERVERS', 'CAPACITY_SCHEDULE'] as const;
export type TunableSetting = (typeof TUNABLE_SETTINGS)[number];
/** A tunable setting's value; null for CAPACITY_SCHEDULE when none is set. */
export type TunableValue = string | number | null;

/** How many changes /fleet keeps to show. */
const CHANGES_KEPT = 20;

/** One change an operator made: when, and each setting's value before and after. */
export interface TuningChange {
  readonly at: string;
  readonly changes: Partial<Record<TunableSetting, { readonly from: TunableValue; readonly to: TunableValue }>>;
}

/**
 * The policy's settings as they are now: the environment's, with what operators changed since
 * (`PATCH /fleet/settings`). A change is validated as the environment is, with the same
 * messages and cross-field rules, so the manager never runs with a set of settings it would have
 * refused at start-up. Changes last until the next restart, which reads the environment again.
 */
@Injectable()
export class PolicyTuning {
  private readonly logger = new Logger(PolicyTuning.name);
  private current: Settings;
  private currentPolicy: PolicySettings;
  private currentSchedule: readonly CapacityWindow[];
  private readonly changes: TuningChange[] = [];
  /** Changes made since start-up, however many history() still keeps. */
  version = 0;

  constructor(settings: Settings) {
    this.current = settings;
    this.currentPolicy = policySettingsFrom(settings);
    this.currentSchedule = scheduleOf(settings);
  }

  policy(): PolicySettings {
    return this.currentPolicy;
  }

  /** The windows of CAPACITY_SCHEDULE now: the environment's, or what an operator set since. */
  schedule(): readonly CapacityWindow[] {
    return this.currentSchedule;
  }

  marginMode(): MarginMode {
    return this.current.MARGIN_MODE;
  }

  /** The tunable settings' values now. */
  values(): Record<TunableSetting, TunableValue> {
    return Object.fromEntries(TUNABLE_SETTINGS.map((name) => [name, valueOf(this.current, name)])) as Record<TunableSetting, TunableValue>;
  }

  /** Every setting as it stands now, written as the environment would give it. */
  environment(): Record<string, string> {
    return Object.fromEntries(
      Object.entries(this.current)
        .filter(([, value]) => value !== undefined)
        .map(([name, value]) => [name, String(value)]),
    );
  }

  /** The changes made since start-up, newest last. */
  history(): readonly TuningChange[] {
    return this.changes;
  }

  /** Applies a change of some tunable settings; throws InvalidSettingsError, naming each problem, and changes nothing then. */
  apply(patch: Readonly<Record<string, unknown>>): TuningChange {
    const names = Object.keys(patch);
    const untunable = names.filter((name) => !(TUNABLE_SETTINGS as readonly string[]).includes(name));
    if (untunable.length > 0) throw new InvalidSettingsError(untunable.map((name) => `${name} cannot be changed at run time; these can: ${TUNABLE_SETTINGS.join(', ')}`));
    if (names.length === 0) throw new InvalidSettingsError([`nothing to change; give one or more of ${TUNABLE_SETTINGS.join(', ')}`]);
    const asText = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value));
    const next = validateSettings({ ...this.environment(), ...Object.fromEntries(names.map((name) => [name, asText(patch[name])])) });
    const change: TuningChange = {
      at: new Date().toISOString(),
      changes: Object.fromEntries(
        TUNABLE_SETTINGS.filter((name) => next[name] !== this.current[name]).map((name) => [name, { from: valueOf(this.current, name), to: valueOf(next, name) }]),
      ),
    };
    this.current = next;
    this.currentPolicy = policySettingsFrom(next);
    this.currentSchedule = scheduleOf(next);
    this.changes.push(change);
    this.version += 1;
    if (this.changes.length > CHANGES_KEPT) this.changes.shift();
    this.logger.warn({ tuning: change }, `settings changed at run time: ${describe(change)}`);
    return change;
  }
}

const valueOf = (settings: Settings, name: TunableSetting): TunableValue => settings[name] ?? null;

/** Validated already, as every Settings is: parsing cannot fail here. */
const scheduleOf = (settings: Settings): readonly CapacityWindow[] => (settings.CAPACITY_SCHEDULE ? parseCapacitySchedule(settings.CAPACITY_SCHEDULE) : []);

function describe(change: TuningChange): string {
  const parts = Object.entries(change.changes).map(([name, { from, to }]) => `${name} ${from} -> ${to}`);
  return parts.length > 0 ? parts.join(', ') : 'no value differs from before';
}
