import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Settings } from '../config/settings';
import { ClientLimit } from '../domain/allocation-outcome';
import { ClientKey } from '../domain/client-key';
import { ClientHolding, FleetRegistry } from '../fleet/fleet.registry';
import { FleetMetrics } from '../metrics/fleet-metrics';

/** A client cut off is said once a minute at most, and all of them ten times a minute at most: an attack must not flood the log. */
const CUT_OFF_LINES_PER_CLIENT = 1;
const CUT_OFF_LINES = 10;

/** Clients past this share of CLIENT_ALLOCATIONS_PER_MINUTE are remembered for the metric of the nearest one; the others cannot be nearest. */
const NEAR_SHARE = 0.5;
/** How often remembering a client near the limit first forgets those whose minute ended: once per window of the limit. */
const NEAR_SWEEP_MS = 60_000;

/** Each limit's setting, and what it counts, for the log line of a client cut off. */
const LIMIT_TEXT: Readonly<Record<ClientLimit, { readonly setting: 'CLIENT_ALLOCATIONS_PER_MINUTE' | 'CLIENT_RESERVED_PLACES'; readonly counts: string }>> = {
  allocations_per_minute: { setting: 'CLIENT_ALLOCATIONS_PER_MINUTE', counts: 'places in a minute' },
  reserved_places: { setting: 'CLIENT_RESERVED_PLACES', counts: 'places reserved and not yet taken' },
};

/**
 * The limits of one client address on the public allocation endpoint, so that no script can
 * reserve the fleet away or make it grow for players who do not exist: places handed out per
 * minute (rate-limiter-flexible), and places held at once, reserved and not yet taken (read from
 * the registry's reservations, which know them exactly). Generous by default: many players share
 * one address behind a carrier's NAT. Kept in this process's memory, which is enough since one
 * manager acts at a time (the standbys hand out nothing).
 */
@Injectable()
export class ClientLimits {
  private readonly logger = new Logger(ClientLimits.name);
  private readonly perMinute?: RateLimiterMemory;
  private readonly linesPerClient = new RateLimiterMemory({ points: CUT_OFF_LINES_PER_CLIENT, duration: 60 });
  private readonly lines = new RateLimiterMemory({ points: CUT_OFF_LINES, duration: 60 });
  /** Clients past NEAR_SHARE of the limit per minute: requests counted, and when their minute ends. */
  private readonly nearPerMinute = new Map<string, { readonly used: number; readonly until: number }>();
  private nearSweptAt = 0;

  constructor(
    private readonly settings: Settings,
    private readonly registry: FleetRegistry,
    metrics: FleetMetrics,
  ) {
    const points = settings.CLIENT_ALLOCATIONS_PER_MINUTE;
    // No key prefix: the library would build a new string per request ("rlflx:" + address) and
    // hash it again; the address alone is the key (0.13 µs a request instead of 0.26-0.40).
    if (points > 0) this.perMinute = new RateLimiterMemory({ points, duration: 60, keyPrefix: '' });
    metrics.watchClientLimits(() => this.peakShares(Date.now()));
  }

  /** Whether the places `client` is handed must be remembered as its own: to count them, or to give a client that names itself its place again. */
  keepsHoldsOf(client: ClientKey): boolean {
    return this.settings.CLIENT_RESERVED_PLACES > 0 || client.id !== undefined;
  }

  /**
   * Counts one request of `client`, then calls `next` with undefined if it may have a place, else
   * with the seconds until it may ask again. A continuation rather than a promise of its own, and
   * then() rather than await: each promise on the hot path is one more object and one more turn
   * of the microtask queue per request, and the limiter's own promise is one already.
   */
  admit<T>(client: ClientKey, next: (waitSeconds: number | undefined) => T): Promise<T> {
    if (!this.perMinute) return Promise.resolve(next(undefined));
    return this.perMinute.consume(client.address).then(
      (counted) => {
        if (counted.consumedPoints >= NEAR_SHARE * this.settings.CLIENT_ALLOCATIONS_PER_MINUTE) this.rememberNear(client.address, counted);
        return next(undefined);
      },
      (refusal: unknown) => {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        return next(this.cutOff(client, 'allocations_per_minute', refusal.msBeforeNext));
      },
    );
  }

  /** Undefined if `client` may hold one more place, else the seconds until the oldest place it holds times out. */
  overHeld(client: ClientKey, holding: ClientHolding, now: number): number | undefined {
    const most = this.settings.CLIENT_RESERVED_PLACES;
    if (most === 0 || holding.held < most || holding.oldestAt === undefined) return undefined;
    return this.cutOff(client, 'reserved_places', holding.oldestAt + this.settings.RESERVATION_TIMEOUT * 1000 - now);
  }

  private cutOff(client: ClientKey, limit: ClientLimit, waitMs: number): number {
    const waitSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    void this.sayCutOff(client.address, limit, waitSeconds);
    return waitSeconds;
  }

  private rememberNear(address: string, counted: RateLimiterRes): void {
    const now = Date.now();
    // Scrapes of /metrics forget ended minutes too, but a manager nobody scrapes must not pile addresses up.
    if (now - this.nearSweptAt >= NEAR_SWEEP_MS) {
      this.nearSweptAt = now;
      this.forgetEndedMinutes(now);
    }
    this.nearPerMinute.set(address, { used: counted.consumedPoints, until: now + counted.msBeforeNext });
  }

  private forgetEndedMinutes(now: number): void {
    for (const [address, { until }] of this.nearPerMinute) if (until <= now) this.nearPerMinute.delete(address);
  }

  private peakShares(now: number): Record<ClientLimit, number> {
    this.forgetEndedMinutes(now);
    let perMinute = 0;
    for (const { used } of this.nearPerMinute.values()) perMinute = Math.max(perMinute, used / this.settings.CLIENT_ALLOCATIONS_PER_MINUTE);
    const most = this.settings.CLIENT_RESERVED_PLACES;
    let held = 0;
    if (most > 0) for (const count of this.registry.heldByClient(now).values()) held = Math.max(held, count);
    return { allocations_per_minute: Math.min(1, perMinute), reserved_places: most === 0 ? 0 : Math.min(1, held / most) };
  }

  private async sayCutOff(address: string, limit: ClientLimit, waitSeconds: number): Promise<void> {
    try {
      await this.linesPerClient.consume(address);
      await this.lines.consume('all');
    } catch {
      return;
    }
    const { setting, counts } = LIMIT_TEXT[limit];
    this.logger.warn(
      { client: address, limit, retryAfterSeconds: waitSeconds },
      `client ${address} reached ${setting}=${this.settings[setting]} ${counts}: answered 429 for ${waitSeconds} s (every refusal counts in fleet_manager_allocations_total{outcome="limited",limit="${limit}"}; this line comes once a minute at most)`,
    );
  }
}
