import { WAIT_MEMORY_MS, WaitingClients } from '../../src/fleet/waiting-clients';
import { MAX_RETRY_AFTER_SECONDS } from '../../src/allocation/retry-after';

const T0 = 1_000_000;
const ADDRESS = '198.51.100.7';

type Step = { readonly at: number; readonly id: string; readonly address?: string } & ({ readonly turnedAway: boolean } | { readonly served: true });

/** Runs the steps in order; answers, for each refusal, whether it began a wait. */
function run(steps: readonly Step[]): boolean[] {
  const waiting = new WaitingClients();
  const began: boolean[] = [];
  for (const step of steps) {
    if ('served' in step) waiting.served(step.address ?? ADDRESS, step.id);
    else began.push(waiting.turnedAway(step.address ?? ADDRESS, step.id, step.at));
  }
  return began;
}

const refused = (at: number, id = 'alice', address?: string): Step => ({ at, id, address, turnedAway: true });

describe('WaitingClients: a client that names itself counts once per wait, not once per try', () => {
  it.each<{ case: string; steps: Step[]; expected: boolean[] }>([
    { case: 'the first refusal begins a wait', steps: [refused(T0)], expected: [true] },
    { case: 'asking again every 100 ms while it waits is the same player', steps: Array.from({ length: 20 }, (_, i) => refused(T0 + 100 * i)), expected: [true, ...Array<boolean>(19).fill(false)] },
    {
      case: 'a client that asks again as Retry-After tells it, up to the longest one, waits on',
      steps: [refused(T0), refused(T0 + MAX_RETRY_AFTER_SECONDS * 1000), refused(T0 + 2 * MAX_RETRY_AFTER_SECONDS * 1000)],
      expected: [true, false, false],
    },
    { case: 'asked again just within WAIT_MEMORY_MS of its last refusal: still waiting', steps: [refused(T0), refused(T0 + WAIT_MEMORY_MS)], expected: [true, false] },
    { case: 'silent for longer than WAIT_MEMORY_MS: it gave up, and this is a new wait', steps: [refused(T0), refused(T0 + WAIT_MEMORY_MS + 1)], expected: [true, true] },
    { case: 'two clients at one address are two players', steps: [refused(T0, 'alice'), refused(T0, 'bob'), refused(T0 + 1, 'alice')], expected: [true, true, false] },
    { case: 'one id at two addresses is two clients', steps: [refused(T0, 'alice', '198.51.100.7'), refused(T0, 'alice', '198.51.100.8')], expected: [true, true] },
    { case: 'a client served ends its wait: its next refusal is its next game', steps: [refused(T0), { at: T0 + 1, id: 'alice', served: true }, refused(T0 + 2)], expected: [true, true] },
    { case: 'another client served does not end this one\'s wait', steps: [refused(T0), { at: T0 + 1, id: 'bob', served: true }, refused(T0 + 2)], expected: [true, false] },
  ])('$case', ({ steps, expected }) => {
    expect(run(steps)).toEqual(expected);
  });

  it('remembers each client longer than the longest Retry-After, so that a client that waits as told is not counted twice', () => {
    expect(WAIT_MEMORY_MS).toBeGreaterThan(MAX_RETRY_AFTER_SECONDS * 1000);
  });

  it('forgets the clients that stopped asking: ids that never come back do not pile up', () => {
    const waiting = new WaitingClients();
    for (let i = 0; i < 1000; i++) waiting.turnedAway(ADDRESS, `client-${i}`, T0);
    // The sweep comes with the first refusal a whole WAIT_MEMORY_MS after the last one.
    waiting.turnedAway(ADDRESS, 'late', T0 + 2 * WAIT_MEMORY_MS);
    expect((waiting as unknown as { lastTurnedAway: Map<string, number> }).lastTurnedAway.size).toBe(1);
  });
});
