import { FleetHistory, HISTORY_HOURS, HISTORY_STEP_MS, PassFigures } from '../../src/scaling/fleet-history';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const STEPS = (HISTORY_HOURS * 3_600_000) / HISTORY_STEP_MS;

function figures(players: number, turnedAway = 0): PassFigures {
  return {
    players,
    capacityUp: 20,
    free: 20 - players,
    upscaleMargin: 4,
    downscaleMargin: 18,
    serversByState: { launching: 0, ready: 2, draining: 0, unhealthy: 0, stopping: 0 },
    turnedAway,
  };
}

type Event = { readonly at: number } & ({ readonly pass: PassFigures } | { readonly launches: number });

describe('FleetHistory', () => {
  it.each<{ case: string; events: Event[]; since?: number; expected: { at: number; players: number; launches: number; turnedAway: number }[] }>([
    { case: 'nothing recorded: no point', events: [], expected: [] },
    {
      case: 'two passes in one step: the last one\'s figures, the players turned away of both',
      events: [
        { at: T0 + 1_000, pass: figures(3, 1) },
        { at: T0 + 6_000, pass: figures(5, 2) },
      ],
      expected: [{ at: T0, players: 5, launches: 0, turnedAway: 3 }],
    },
    {
      case: 'launches add up in their step',
      events: [
        { at: T0, pass: figures(3) },
        { at: T0 + 1, launches: 2 },
        { at: T0 + 9_999, launches: 1 },
      ],
      expected: [{ at: T0, players: 3, launches: 3, turnedAway: 0 }],
    },
    {
      case: 'a step no pass saw is left out, not filled in',
      events: [
        { at: T0, pass: figures(3) },
        { at: T0 + 3 * HISTORY_STEP_MS, pass: figures(4) },
      ],
      expected: [
        { at: T0, players: 3, launches: 0, turnedAway: 0 },
        { at: T0 + 3 * HISTORY_STEP_MS, players: 4, launches: 0, turnedAway: 0 },
      ],
    },
    {
      case: 'a clock that steps back writes into the newest step',
      events: [
        { at: T0 + HISTORY_STEP_MS, pass: figures(3) },
        { at: T0, pass: figures(7, 1) },
      ],
      expected: [{ at: T0 + HISTORY_STEP_MS, players: 7, launches: 0, turnedAway: 1 }],
    },
    {
      case: 'a step reused after the ring turns starts afresh',
      events: [
        { at: T0, pass: figures(3, 5) },
        { at: T0, launches: 4 },
        { at: T0 + STEPS * HISTORY_STEP_MS, pass: figures(6) },
      ],
      expected: [{ at: T0 + STEPS * HISTORY_STEP_MS, players: 6, launches: 0, turnedAway: 0 }],
    },
    {
      case: 'a step of the ring\'s previous turn, not written since, is not shown as a new one',
      events: [
        { at: T0, pass: figures(3) },
        { at: T0 + (STEPS + 1) * HISTORY_STEP_MS, pass: figures(6) },
      ],
      expected: [{ at: T0 + (STEPS + 1) * HISTORY_STEP_MS, players: 6, launches: 0, turnedAway: 0 }],
    },
    {
      case: 'launches in a step no pass saw: no point, since there are no figures to show with them',
      events: [
        { at: T0, pass: figures(3) },
        { at: T0 + HISTORY_STEP_MS, launches: 2 },
      ],
      expected: [{ at: T0, players: 3, launches: 0, turnedAway: 0 }],
    },
    {
      case: 'since the very start of a step: that step too',
      events: [
        { at: T0, pass: figures(3) },
        { at: T0 + HISTORY_STEP_MS + 5, pass: figures(4) },
      ],
      since: T0 + HISTORY_STEP_MS,
      expected: [{ at: T0 + HISTORY_STEP_MS, players: 4, launches: 0, turnedAway: 0 }],
    },
    {
      case: 'since: only the steps from then on',
      events: [
        { at: T0, pass: figures(3) },
        { at: T0 + HISTORY_STEP_MS, pass: figures(4) },
      ],
      since: T0 + 1,
      expected: [{ at: T0 + HISTORY_STEP_MS, players: 4, launches: 0, turnedAway: 0 }],
    },
  ])('$case', ({ events, since, expected }) => {
    const history = new FleetHistory();
    for (const event of events) {
      if ('pass' in event) history.passed(event.at, event.pass);
      else history.launched(event.at, event.launches);
    }
    expect(history.points(since).map(({ at, players, launches, turnedAway }) => ({ at, players, launches, turnedAway }))).toEqual(expected);
  });

  it('keeps HISTORY_HOURS of steps, the oldest leaving first', () => {
    const history = new FleetHistory();
    for (let step = 0; step < STEPS + 5; step++) history.passed(T0 + step * HISTORY_STEP_MS, figures(step % 20));
    const points = history.points();
    expect(points).toHaveLength(STEPS);
    expect(points[0].at).toBe(T0 + 5 * HISTORY_STEP_MS);
    expect(points.at(-1)?.at).toBe(T0 + (STEPS + 4) * HISTORY_STEP_MS);
  });

  it('answers copies: a caller that changes a point changes nothing kept', () => {
    const history = new FleetHistory();
    history.passed(T0, figures(3));
    const [point] = history.points();
    (point.serversByState as Record<string, number>).ready = 99;
    expect(history.points()[0].serversByState.ready).toBe(2);
  });
});
