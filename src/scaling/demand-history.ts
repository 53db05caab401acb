/** The width of one bucket of the demand history. */
export const DEMAND_BUCKET_MS = 5_000;
/**
 * How far back the history reaches: the noise of the last hour, and trends over four horizons of
 * a long boot. An hour, not three: after a burst, or once arrivals stop, the noise of hours ago
 * held the margin up long after the demand had calmed (docs/scaling.md has the figures).
 */
export const DEMAND_HISTORY_MS = 3_600_000;

interface Bucket {
  /** Which bucket of time this is (at / bucketMs, floored). */
  index: number;
  /** Players turned away from the start of the history up to the end of this bucket, less those who got a place since. */
  turnedAwayToDate: number;
  /** Places in use (taken or reserved) as last seen up to this bucket. */
  inUse: number;
}

/**
 * What the manager saw of its demand, in buckets of DEMAND_BUCKET_MS over the last
 * DEMAND_HISTORY_MS: the places in use as each pass counted them, and the players turned away
 * (places handed out show in the places in use). Bounded: a ring, overwritten as time moves on.
 * The manager and the simulator feed it alike, and the margin estimator reads it as a
 * DemandSeries.
 */
export class DemandHistory implements DemandSeries {
  private readonly ring: Bucket[];
  /** The newest bucket; undefined before the first pass counted the places in use. */
  private newest?: Bucket;
  /** Buckets that hold a level, up to the ring's size. */
  private filled = 0;

  constructor(
    readonly bucketMs = DEMAND_BUCKET_MS,
    spanMs = DEMAND_HISTORY_MS,
  ) {
    this.ring = Array.from({ length: Math.ceil(spanMs / bucketMs) }, () => ({ index: -1, turnedAwayToDate: 0, inUse: 0 }));
  }

  turnedAway(at: number, players = 1): void {
    const bucket = this.bucketAt(at);
    if (bucket) bucket.turnedAwayToDate += players;
  }

  /**
   * Players counted as turned away got a place: from now on they show in the places in use, so
   * they leave the turned-away count, or each would count twice.
   */
  waitsServed(at: number, players: number): void {
    this.turnedAway(at, -players);
  }

  /** A pass counted the places in use: taken by players or reserved for them. The history starts with the first count. */
  inUse(at: number, places: number): void {
    if (!this.newest) {
      this.newest = this.ring[this.slot(Math.floor(at / this.bucketMs))];
      Object.assign(this.newest, { index: Math.floor(at / this.bucketMs), turnedAwayToDate: 0 });
      this.filled = 1;
    }
    const bucket = this.bucketAt(at);
    if (bucket) bucket.inUse = places;
  }

  get length(): number {
    return this.filled;
  }

  /**
   * The net demand `ago` buckets before the newest (0: the newest): the places in use plus every
   * player turned away since the history began (they wanted a place too). The difference between
   * two levels is the demand's growth between them: arrivals less departures. A player turned away
   * who gets a place later moves from the one count to the other (waitsServed).
   */
  levelAgo(ago: number): number {
    if (!this.newest || ago < 0 || ago >= this.filled) throw new RangeError(`no level ${ago} buckets ago: the history holds ${this.filled}`);
    const bucket = this.ring[this.slot(this.newest.index - ago)];
    return bucket.inUse + bucket.turnedAwayToDate;
  }

  /** The bucket of `at`, started (and any skipped ones filled) as time moves on; undefined before the history began. */
  private bucketAt(at: number): Bucket | undefined {
    const newest = this.newest;
    if (!newest) return undefined;
    const index = Math.floor(at / this.bucketMs);
    // Time only moves on; what a late caller reports counts now.
    if (index <= newest.index) return newest;
    // Buckets nobody touched carry the last count: nothing changed that anyone saw. Read before
    // the loop: after a long gap the newest bucket is itself one of the slots it reuses.
    const { index: last, turnedAwayToDate, inUse } = newest;
    let bucket = newest;
    for (let next = Math.max(last + 1, index - this.ring.length + 1); next <= index; next++) {
      bucket = this.ring[this.slot(next)];
      Object.assign(bucket, { index: next, turnedAwayToDate, inUse });
    }
    this.newest = bucket;
    this.filled = Math.min(this.ring.length, this.filled + (index - last));
    return bucket;
  }

  private slot(index: number): number {
    return ((index % this.ring.length) + this.ring.length) % this.ring.length;
  }
}

/** The net demand per bucket, as the estimator reads it (DemandHistory). */
export interface DemandSeries {
  readonly bucketMs: number;
  /** Buckets that hold a level; the newest is the bucket of now. */
  readonly length: number;
  /** The level `ago` buckets before the newest, 0 <= ago < length. */
  levelAgo(ago: number): number;
}
