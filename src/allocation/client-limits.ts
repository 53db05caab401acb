import { Injectable, Logger } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Settings } from '../config/settings';

/** A client cut off is said once a minute at most, and all of them ten times a minute at most: an attack must not flood the log. */
const CUT_OFF_LINES_PER_CLIENT = 1;
const CUT_OFF_LINES = 10;

/**
 * The limits of one client address on the public allocation endpoint, so that no script can
 * reserve the fleet away or make it grow for players who do not exist. Generous by default: many
 * players share one address behind a carrier's NAT. Counted in this process's memory, which is
 * enough since one manager acts at a time (the standbys hand out nothing).
 */
@Injectable()
export class ClientLimits {
  private readonly logger = new Logger(ClientLimits.name);
  private readonly perMinute?: RateLimiterMemory;
  private readonly linesPerClient = new RateLimiterMemory({ points: CUT_OFF_LINES_PER_CLIENT, duration: 60 });
  private readonly lines = new RateLimiterMemory({ points: CUT_OFF_LINES, duration: 60 });

  constructor(private readonly settings: Settings) {
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
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const waitSeconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      void this.sayCutOff(client, waitSeconds);
      return waitSeconds;
    }
  }

  private async sayCutOff(client: string, waitSeconds: number): Promise<void> {
    try {
      await this.linesPerClient.consume(client);
      await this.lines.consume('all');
    } catch {
      return;
    }
    this.logger.warn(
      { client, retryAfterSeconds: waitSeconds },
      `client ${client} asked for more than CLIENT_ALLOCATIONS_PER_MINUTE=${this.settings.CLIENT_ALLOCATIONS_PER_MINUTE} places in a minute: answered 429 for ${waitSeconds} s (every refusal counts in fleet_manager_allocations_total{outcome="limited"}; this line comes once a minute at most)`,
    );
  }
}
