import { DemandHistory, DemandSeries } from '../../src/scaling/demand-history';
import { bootTimeMs, estimateMargin, growthDeviation, horizonMs, withMargins } from '../../src/scaling/margin-estimator';
import { policySettingsFrom } from '../../src/scaling/policy-settings';
import { Settings } from '../../src/config/settings';

/** A series of net demand levels, oldest first, in buckets of 5 s. */
function series(levels: readonly number[], bucketMs = 5_000): DemandSeries {
  return { bucketMs, length: levels.length, levelAgo: (ago) => levels[levels.length - 1 - ago] };
}

const ramp = (buckets: number, perBucket: number, from = 0) => Array.from({ length: buckets }, (_, i) => from + i * perBucket);
const flat = (buckets: number, level: number) => Array.from({ length: buckets }, () => level);
/** Up and down by `amplitude` every bucket around `level`: noise with no trend. */
const zigzag = (buckets: number, level: number, amplitude: number) => Array.from({ length: buckets }, (_, i) => level + (i % 2 === 0 ? amplitude : -amplitude));

const MARGINS = { upscaleMargin: 4, downscaleMargin: 18 };

describe('bootTimeMs: the boot time the margin looks ahead by', () => {
  it.each([
    { case: 'no launch measured: the prior', times: [], prior: 180_000, expected: 180_000 },
    { case: 'two quick launches are no proof: still the prior', times: [1_000, 2_000], prior: 5_000, expected: 5_000 },
    { case: 'fewer than three, one slower than the prior: the slowest', times: [9_000, 2_000], prior: 5_000, expected: 9_000 },
    { case: 'three measured: their 90th percentile, the prior forgotten', times: [1_000, 3_000, 2_000], prior: 5_000, expected: 3_000 },
    { case: 'ten measured: the 9th of them in order', times: [10, 1, 9, 2, 8, 3, 7, 4, 6, 5].map((s) => s * 1000), prior: 180_000, expected: 9_000 },
    { case: 'twenty measured: the 18th in order, one slow outlier left out', times: [...ramp(19, 1_000, 60_000), 900_000], prior: 0, expected: 77_000 },
  ])('$case', ({ times, prior, expected }) => {
    expect(bootTimeMs(times, prior)).toBe(expected);
  });
});

describe('growthDeviation: the noise of the growth over a horizon, trend taken out', () => {
  it.each([
    { case: 'a flat demand has none', levels: flat(100, 50), k: 4, expected: 0 },
    { case: 'a steady ramp has none, however steep', levels: ramp(100, 3), k: 4, expected: 0 },
    { case: 'too short a history to tell: none', levels: ramp(8, 1), k: 4, expected: 0 },
    // Over an odd k, each growth is +-2a and the one before it the opposite: (4a)^2 / 2 = 8a^2.
    { case: 'a zigzag of +-2 over an odd horizon', levels: zigzag(101, 50, 2), k: 3, expected: Math.sqrt(8 * 4) },
    // Over an even k the zigzag cancels out: it is noise faster than the horizon.
    { case: 'a zigzag over an even horizon cancels out', levels: zigzag(101, 50, 2), k: 2, expected: 0 },
  ])('$case', ({ levels, k, expected }) => {
    expect(growthDeviation(series(levels), k)).toBeCloseTo(expected, 9);
  });

  it('reads only the complete buckets: the newest, still filling, does not count', () => {
    const levels = flat(50, 10);
    expect(growthDeviation(series([...levels, 1_000]), 4)).toBe(0);
  });
});

describe('estimateMargin', () => {
  // A boot of 55 s and a pass of 5 s: a horizon of 60 s, 12 buckets of 5 s.
  const at = (levels: readonly number[], deviation = 0) => estimateMargin({ demand: series(levels), bootMs: 55_000, passGapMs: 5_000, deviation }, MARGINS);

  it.each([
    { case: 'no history: the configured margins', levels: [], deviation: 0, up: 4, growth: 0, basis: 'configured' },
    { case: 'one bucket: no growth to measure', levels: [30], deviation: 0, up: 4, growth: 0, basis: 'configured' },
    { case: 'flat demand: the configured margins', levels: flat(200, 30), deviation: 0, up: 4, growth: 0, basis: 'configured' },
    { case: 'falling demand: never below the configured margins', levels: ramp(200, -1, 300), deviation: 0, up: 4, growth: 0, basis: 'configured' },
    { case: 'a ramp of 1 place a bucket: 12 places over the horizon', levels: ramp(200, 1), deviation: 0, up: 12, growth: 12, basis: 'demand' },
    { case: 'a slow ramp that needs less than configured', levels: ramp(200, 0.25), deviation: 0, up: 4, growth: 3, basis: 'configured' },
    { case: 'noise on a flat demand: two deviations of room', levels: flat(200, 30), deviation: 5, up: 10, growth: 0, basis: 'demand' },
    { case: 'a ramp and noise add up', levels: ramp(200, 1), deviation: 3, up: 18, growth: 12, basis: 'demand' },
    // Flat for long, then 2 places a bucket for the last 6 buckets: over one horizon that is 12 in 12 buckets,
    // but over the last minute (12 buckets here, the horizon is as long) the same: the surge counts in full.
    { case: 'a surge over the last half minute', levels: [...flat(200, 30), ...ramp(6, 2, 32)], deviation: 0, up: 12, growth: 12, basis: 'demand' },
  ])('$case: upscale $up', ({ levels, deviation, up, growth, basis }) => {
    const estimate = at(levels, deviation);
    expect(estimate).toMatchObject({ upscaleMargin: up, downscaleMargin: up + 14, growth, basis, bootMs: 55_000, horizonMs: 60_000 });
  });

  it('counts a surge of the last minute for what it exceeds the noise, over a horizon longer than a minute', () => {
    // A horizon of 180 s (36 buckets): 12 places in the last minute is a trend of 36 over the horizon.
    const levels = [...flat(300, 30), ...ramp(12, 1, 31)];
    const quiet = estimateMargin({ demand: series(levels), bootMs: 175_000, passGapMs: 5_000, deviation: 0 }, MARGINS);
    const noisy = estimateMargin({ demand: series(levels), bootMs: 175_000, passGapMs: 5_000, deviation: 5 }, MARGINS);
    expect(quiet).toMatchObject({ growth: 36, upscaleMargin: 36 });
    // 36 less the room for noise (10) is 26: below the trend over one horizon (12), so 26 wins, plus the room.
    expect(noisy).toMatchObject({ growth: 26, noise: 10, upscaleMargin: 36 });
  });

  // A boot of 115 s and a pass of 5 s: a horizon of 2 minutes, 24 buckets, longer than the surge's minute.
  it.each([
    {
      case: 'a rise over the last horizon that stopped a minute ago: its trend over the horizon counts',
      levels: [...flat(176, 0), ...ramp(12, 2, 2), ...flat(12, 24)],
      up: 24,
    },
    {
      case: 'a rise three horizons ago, flat since: its trend over four horizons counts',
      levels: [...flat(104, 0), ...ramp(24, 1, 1), ...flat(72, 24)],
      up: 6,
    },
  ])('$case', ({ levels, up }) => {
    const estimate = estimateMargin({ demand: series(levels), bootMs: 115_000, passGapMs: 5_000, deviation: 0 }, MARGINS);
    expect(estimate.upscaleMargin).toBe(up);
  });

  it('keeps the configured gap between the margins, so the anti-flap rule still holds', () => {
    const estimate = estimateMargin({ demand: series(ramp(200, 2)), bootMs: 55_000, passGapMs: 5_000, deviation: 0 }, { upscaleMargin: 10, downscaleMargin: 40 });
    expect(estimate.upscaleMargin).toBe(24);
    expect(estimate.downscaleMargin - estimate.upscaleMargin).toBe(30);
  });

  it('looks a boot and a pass ahead', () => {
    expect(horizonMs(170_000, 1_000)).toBe(171_000);
  });

  it('hands the policy the configured settings with the estimated margins', () => {
    const settings = policySettingsFrom(new Settings());
    expect(withMargins(settings, { upscaleMargin: 30, downscaleMargin: 44 })).toEqual({ ...settings, upscaleMargin: 30, downscaleMargin: 44 });
  });
});

describe('DemandHistory: the net demand per bucket', () => {
  it.each([
    {
      case: 'nothing before the first count of places in use',
      feed: (h: DemandHistory) => h.turnedAway(0, 3),
      expected: [],
    },
    {
      case: 'places in use as counted, the last count of a bucket winning',
      feed: (h: DemandHistory) => {
        h.inUse(0, 5);
        h.inUse(4_000, 7);
        h.inUse(5_000, 9);
      },
      expected: [7, 9],
    },
    {
      case: 'players turned away add to the demand from then on; one who gets a place later moves into the places in use',
      feed: (h: DemandHistory) => {
        h.inUse(0, 5);
        h.turnedAway(6_000, 2);
        h.inUse(6_000, 5);
        h.inUse(11_000, 5);
        h.waitsServed(16_000, 1);
        h.inUse(16_000, 6);
      },
      expected: [5, 7, 7, 7],
    },
    {
      case: 'buckets nobody touched carry the last level',
      feed: (h: DemandHistory) => {
        h.inUse(0, 5);
        h.inUse(20_000, 8);
      },
      expected: [5, 5, 5, 5, 8],
    },
    {
      case: 'a late report counts in the newest bucket',
      feed: (h: DemandHistory) => {
        h.inUse(10_000, 5);
        h.turnedAway(2_000, 1);
      },
      expected: [6],
    },
    {
      case: 'only the span kept: the oldest buckets are forgotten',
      span: 15_000,
      feed: (h: DemandHistory) => {
        for (let i = 0; i < 6; i++) h.inUse(i * 5_000, i);
      },
      expected: [3, 4, 5],
    },
    {
      case: 'a gap longer than the span keeps the last level',
      span: 15_000,
      feed: (h: DemandHistory) => {
        h.inUse(0, 4);
        h.inUse(3_600_000, 6);
      },
      expected: [4, 4, 6],
    },
  ])('$case', ({ feed, expected, span }) => {
    const history = new DemandHistory(5_000, span);
    feed(history);
    expect(Array.from({ length: history.length }, (_, i) => history.levelAgo(history.length - 1 - i))).toEqual(expected);
  });

  it('refuses a level it does not hold', () => {
    const history = new DemandHistory();
    history.inUse(0, 1);
    expect(() => history.levelAgo(1)).toThrow(RangeError);
  });
});
