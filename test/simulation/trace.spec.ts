import { planDemand } from '../../src/simulation/demand';
import { InvalidTraceError, parseCsvTrace, parseJsonTrace } from '../../src/simulation/trace';
import { bundledTraceNames, loadTrace } from '../../src/simulation/trace-files';

describe('traces', () => {
  it('bundles a steady ramp, a spike, a daily cycle, a slow drain, a noisy evening and a week with a release, each described', () => {
    expect(bundledTraceNames()).toEqual(['daily-cycle', 'noisy-evening', 'slow-drain', 'spike', 'steady-ramp', 'week-with-release']);
    for (const name of bundledTraceNames()) {
      const trace = loadTrace(name);
      expect(trace.description).not.toBe('');
      expect(trace.arrivalsPerMinute.length).toBeGreaterThan(0);
    }
    expect(loadTrace('daily-cycle').durationMinutes).toBe(24 * 60);
    expect(loadTrace('week-with-release').durationMinutes).toBe(7 * 24 * 60);
  });

  it('reads arrivals minute by minute, and segments of constant or changing rate', () => {
    const listed = parseJsonTrace('{"arrivals": [1, 0, 2.5], "session": {"meanMinutes": 10, "spread": 0}}', 'listed');
    expect(listed).toMatchObject({ arrivalsPerMinute: [1, 0, 2.5], durationMinutes: 3, startPlayers: 0, session: { distribution: 'uniform', meanMinutes: 10, spread: 0 } });

    const segments = parseJsonTrace('{"segments": [{"minutes": 2, "rate": 3}, {"minutes": 4, "from": 0, "to": 8}], "durationMinutes": 10}', 'segments');
    expect(segments.arrivalsPerMinute).toEqual([3, 3, 1, 3, 5, 7]);
    expect(segments.durationMinutes).toBe(10);
    expect(segments.session).toEqual({ distribution: 'uniform', meanMinutes: 20, spread: 0.5 });

    const exponential = parseJsonTrace('{"arrivals": [1], "session": {"distribution": "exponential", "meanMinutes": 5}}', 'e');
    expect(exponential.session).toEqual({ distribution: 'exponential', meanMinutes: 5 });
  });

  it('reads CSV minute,arrivals with an optional header; minutes left out have nobody', () => {
    const trace = parseCsvTrace('minute,arrivals\n0,2\n3,5\n\n# a comment\n1,1\n', 'csv', { distribution: 'uniform', meanMinutes: 15, spread: 0.2 });
    expect(trace.arrivalsPerMinute).toEqual([2, 1, 0, 5]);
    expect(trace.session.meanMinutes).toBe(15);
  });

  it.each([
    ['{"arrivals": [1], "segments": []}', /either "arrivals"/],
    ['{"arrivals": [1, -2]}', /"arrivals"\[1\] must be a number >= 0/],
    ['{"segments": [{"minutes": 2, "rate": 1, "from": 0}]}', /needs either "rate", or "from" and "to"/],
    ['{"arrivals": [1, 1], "durationMinutes": 1}', /"durationMinutes" must be a whole number from the number of arrival minutes \(2\)/],
    ['{"arrivals": [1], "session": {"meanMinutes": 0}}', /mean session length/],
    ['{"arrivals": [1], "session": {"meanMinutes": 5, "distribution": "normal"}}', /"uniform" or "exponential"/],
    ['{"arrivals": []}', /no minutes/],
    ['[1, 2]', /JSON object/],
    ['{"arrivals": [1', /not valid JSON/],
  ])('refuses %s, naming the problem', (json, message) => {
    expect(() => parseJsonTrace(json, 'bad')).toThrow(InvalidTraceError);
    expect(() => parseJsonTrace(json, 'bad')).toThrow(message);
  });

  it('refuses a CSV line that is not minute,arrivals', () => {
    expect(() => parseCsvTrace('0,1\n1;2\n', 'bad')).toThrow(/line 2 must be "minute,arrivals"/);
  });

  it('plans the same players for the same seed, whatever the policy will do', () => {
    const trace = loadTrace('spike');
    const demand = planDemand(trace, 3);
    expect(planDemand(trace, 3)).toEqual(demand);
    expect(planDemand(trace, 4)).not.toEqual(demand);
    const arrivals = demand.arrivals.map((p) => p.arriveAt);
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b));
    // 2 a minute for 177 minutes and 100 a minute for 3; nobody arrives in the last hour.
    expect(demand.arrivals).toHaveLength(2 * 177 + 300);
    const sessions = demand.arrivals.map((p) => p.sessionMs / 60_000);
    expect(Math.min(...sessions)).toBeGreaterThanOrEqual(45 * 0.7);
    expect(Math.max(...sessions)).toBeLessThanOrEqual(45 * 1.3);
  });
});
