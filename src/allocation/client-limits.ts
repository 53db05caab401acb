import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Settings } from '../config/settings';

/**
 * The limits of one client address on the public allocation endpoint, so that no script can
 * reserve the fleet away or make it grow for players who do not exist. Generous by default: many
 * players share one address behind a carrier's NAT. Counted in this process's memory, which is
 * enough since one manager acts at a time (the standbys hand out nothing).
 */
@Injectable()
export class ClientLimits {
  private readonly perMinute?: RateLimiterMemory;

  constructor(settings: Settings) {
    const points = settings.CLIENT_ALLOCATIONS_PER_MINUTE;
    if (points > 0) this.perMinute = new RateLimiterMemory({ points, duration: 60 });
  }

  /** Counts one request of `client`: undefined if it may have a place, else the seconds until it may ask again. */
  async admit(client: string): Promise<number | undefined> {
    if (!this.perMinute) return undefined;
    try {
      await this.perMinute.consume(client);
      return undefined;
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw refusal;
    }
  }
}
