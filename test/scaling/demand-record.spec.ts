import { DEMAND_RECORD_MINUTES, DemandRecord, recordedTrace } from '../../src/scaling/demand-record';
import { parseJsonTrace } from '../../src/simulation/trace';

const MINUTE = 60_000;
const T0 = 29_000_000 * MINUTE;

describe('DemandRecord: the demand per minute over the last week', () => {
  it.each([
    { case: 'nothing recorded: no minutes', feed: [], expected: [] },
    {
      case: 'passes of one minute add up; the last count of places in use wins',
      feed: [[0, 2, 0, 5], [30_000, 3, 1, 8]],
      expected: [{ minute: 29_000_000, handedOut: 5, waitsServed: 0, turnedAway: 1, inUse: 8 }],
    },
    {
      case: 'a minute no pass saw carries nothing, and the last count',
      feed: [[0, 2, 0, 5], [2 * MINUTE, 1, 0, 6]],
      expected: [
        { minute: 29_000_000, handedOut: 2, waitsServed: 0, turnedAway: 0, inUse: 5 },
        { minute: 29_000_001, handedOut: 0, waitsServed: 0, turnedAway: 0, inUse: 5 },
        { minute: 29_000_002, handedOut: 1, waitsServed: 0, turnedAway: 0, inUse: 6 },
      ],
    },
    {
      case: 'a pass late on the clock counts in the newest minute',
      feed: [[MINUTE, 1, 0, 1], [0, 1, 0, 2]],
      expected: [{ minute: 29_000_001, handedOut: 2, waitsServed: 0, turnedAway: 0, inUse: 2 }],
    },
  ])('$case', ({ feed, expected }) => {
    const record = new DemandRecord();
    for (const [at, handedOut, turnedAway, inUse] of feed) record.record(T0 + at, { handedOut, waitsServed: 0, turnedAway, inUse });
    expect(record.minutes()).toEqual(expected);
  });

  it('keeps a week and forgets what is older', () => {
    const record = new DemandRecord();
    for (let minute = 0; minute < DEMAND_RECORD_MINUTES + 10; minute++) record.record(T0 + minute * MINUTE, { handedOut: minute, waitsServed: 0, turnedAway: 0, inUse: 1 });
    const minutes = record.minutes();
    expect(minutes).toHaveLength(DEMAND_RECORD_MINUTES);
    expect(minutes[0].handedOut).toBe(10);
    expect(minutes.at(-1)!.handedOut).toBe(DEMAND_RECORD_MINUTES + 9);
  });
});

describe('recordedTrace: the week as a trace the simulator reads', () => {
  it('makes arrivals of places handed out and players turned away, and sessions by Little’s law', () => {
    // 4 arrivals a minute, 40 in play on average: sessions of 10 minutes.
    const minutes = [0, 1, 2, 3].map((i) => ({ minute: 29_000_000 + i, handedOut: 3, waitsServed: 0, turnedAway: 1, inUse: 40 }));
    const trace = recordedTrace(minutes)!;
    expect(trace).toMatchObject({ session: { distribution: 'exponential', meanMinutes: 10 }, startPlayers: 40, arrivals: [4, 4, 4, 4] });
    expect(trace.description).toMatch(/from 2025-02-19T21:20:00\.000Z to 2025-02-19T21:24:00\.000Z/);
    expect(parseJsonTrace(JSON.stringify(trace), 'recorded')).toMatchObject({ arrivalsPerMinute: [4, 4, 4, 4], durationMinutes: 4, startPlayers: 40 });
  });

  it('counts a player who waited once, in the minute its wait began, not again when it got a place', () => {
    const minutes = [
      { minute: 29_000_000, handedOut: 2, waitsServed: 0, turnedAway: 1, inUse: 10 },
      { minute: 29_000_001, handedOut: 3, waitsServed: 1, turnedAway: 0, inUse: 10 },
    ];
    expect(recordedTrace(minutes)!.arrivals).toEqual([3, 2]);
  });

  it.each([
    { case: 'nobody arriving, nobody in play', handedOut: 0, inUse: 0, meanMinutes: 1 },
    { case: 'nobody arriving, players still in play from before', handedOut: 0, inUse: 40, meanMinutes: 1 },
    { case: 'players arriving, none in play at any pass: the shortest sessions', handedOut: 5, inUse: 0, meanMinutes: 0.1 },
  ])('stays a valid trace with $case', ({ handedOut, inUse, meanMinutes }) => {
    const trace = recordedTrace([{ minute: 29_000_000, handedOut, waitsServed: 0, turnedAway: 0, inUse }])!;
    expect(trace.session.meanMinutes).toBe(meanMinutes);
    expect(() => parseJsonTrace(JSON.stringify(trace), 'quiet')).not.toThrow();
  });

  it('is nothing with nothing recorded', () => {
    expect(recordedTrace([])).toBeUndefined();
  });
});
