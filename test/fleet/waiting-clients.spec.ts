import { MAX_WAITING_CLIENTS, WAIT_MEMORY_MS, WaitingClients } from '../../src/fleet/waiting-clients';
import { MAX_RETRY_AFTER_SECONDS } from '../../src/allocation/retry-after';

const T0 = 1_000_000;
const ADDRESS = '198.51.100.7';

type Step = { readonly at: number; readonly id: string; readonly address?: string; readonly round?: number } & ({ readonly turnedAway: true } | { readonly served: true });

/**
 * Runs the steps in order; answers what each refusal counted for: 'new' (a wait began), 'unmet'
 * (the client's first refusal of its round, still waiting) or '-' (neither); and what each place
 * served: 'ended' (the wait of a player already counted) or 'placed' (a player not counted yet).
 */
function run(steps: readonly Step[]): string[] {
  const waiting = new WaitingClients();
  const counted: string[] = [];
  let round = 0;
  for (const step of steps) {
    const client = { address: step.address ?? ADDRESS, id: step.id };
    if ('served' in step) {
      counted.push(waiting.served(client, step.at) ? 'ended' : 'placed');
      continue;
    }
    // A pass took the demand between the rounds.
    for (; round < (step.round ?? 0); round++) waiting.nextRound();
    const { began, firstInRound } = waiting.turnedAway(client, step.at);
    if (began && !firstInRound) throw new Error('a wait that begins is always its first refusal of the round');
    counted.push(began ? 'new' : firstInRound ? 'unmet' : '-');
  }
  return counted;
}

const refused = (at: number, id = 'alice', extra: { address?: string; round?: number } = {}): Step => ({ at, id, ...extra, turnedAway: true });

describe('WaitingClients: a client that names itself is one player while it waits, not one per try', () => {
  it.each<{ case: string; steps: Step[]; expected: string[] }>([
    { case: 'the first refusal begins a wait', steps: [refused(T0)], expected: ['new'] },
    { case: 'asking again every 100 ms in one round is the same player', steps: Array.from({ length: 20 }, (_, i) => refused(T0 + 100 * i)), expected: ['new', ...Array<string>(19).fill('-')] },
    {
      case: 'still waiting in the next rounds: once in each round\'s unmet demand, never new demand again',
      steps: [refused(T0), refused(T0 + 10), refused(T0 + 1000, 'alice', { round: 1 }), refused(T0 + 1010, 'alice', { round: 1 }), refused(T0 + 2000, 'alice', { round: 2 })],
      expected: ['new', '-', 'unmet', '-', 'unmet'],
    },
    {
      case: 'a client that asks again as Retry-After tells it, up to the longest one, waits on',
      steps: [refused(T0), refused(T0 + MAX_RETRY_AFTER_SECONDS * 1000, 'alice', { round: 1 }), refused(T0 + 2 * MAX_RETRY_AFTER_SECONDS * 1000, 'alice', { round: 2 })],
      expected: ['new', 'unmet', 'unmet'],
    },
    { case: 'asked again just within WAIT_MEMORY_MS of its last refusal: still waiting', steps: [refused(T0), refused(T0 + WAIT_MEMORY_MS)], expected: ['new', '-'] },
    { case: 'silent for longer than WAIT_MEMORY_MS: it gave up, and this is a new wait', steps: [refused(T0), refused(T0 + WAIT_MEMORY_MS + 1)], expected: ['new', 'new'] },
    {
      case: 'silent for longer than WAIT_MEMORY_MS, though the last sweep came too soon to forget it: a new wait',
      steps: [refused(T0), refused(T0 + WAIT_MEMORY_MS, 'bob'), refused(T0 + WAIT_MEMORY_MS + 1)],
      expected: ['new', 'new', 'new'],
    },
    { case: 'two clients at one address are two players', steps: [refused(T0, 'alice'), refused(T0, 'bob'), refused(T0 + 1, 'alice')], expected: ['new', 'new', '-'] },
    { case: 'one id at two addresses is two clients', steps: [refused(T0, 'alice', { address: '198.51.100.7' }), refused(T0, 'alice', { address: '198.51.100.8' })], expected: ['new', 'new'] },
    { case: 'a client served ends its wait: its next refusal is its next game', steps: [refused(T0), { at: T0 + 1, id: 'alice', served: true }, refused(T0 + 2)], expected: ['new', 'ended', 'new'] },
    { case: 'another client served does not end this one\'s wait', steps: [refused(T0), { at: T0 + 1, id: 'bob', served: true }, refused(T0 + 2)], expected: ['new', 'placed', '-'] },
    { case: 'a client served that never waited is a player not counted yet', steps: [{ at: T0, id: 'alice', served: true }], expected: ['placed'] },
    { case: 'served just within WAIT_MEMORY_MS of its last refusal: its wait ends', steps: [refused(T0), { at: T0 + WAIT_MEMORY_MS, id: 'alice', served: true }], expected: ['new', 'ended'] },
    {
      case: 'served after WAIT_MEMORY_MS of silence: it had given up, so this is a player not counted yet',
      steps: [refused(T0), { at: T0 + WAIT_MEMORY_MS + 1, id: 'alice', served: true }],
      expected: ['new', 'placed'],
    },
    { case: 'served twice: only the first place ends its wait', steps: [refused(T0), { at: T0 + 1, id: 'alice', served: true }, { at: T0 + 2, id: 'alice', served: true }], expected: ['new', 'ended', 'placed'] },
  ])('$case', ({ steps, expected }) => {
    expect(run(steps)).toEqual(expected);
  });

  it('remembers each client longer than the longest Retry-After, so that a client that waits as told is not counted twice', () => {
    expect(WAIT_MEMORY_MS).toBeGreaterThan(MAX_RETRY_AFTER_SECONDS * 1000);
  });

  it('forgets the clients that stopped asking: ids that never come back do not pile up', () => {
    const waiting = new WaitingClients();
    for (let i = 0; i < 1000; i++) waiting.turnedAway({ address: ADDRESS, id: `client-${i}` }, T0);
    // The sweep comes with the first refusal a whole WAIT_MEMORY_MS after the last one.
    waiting.turnedAway({ address: ADDRESS, id: 'late' }, T0 + 2 * WAIT_MEMORY_MS);
    expect((waiting as unknown as { waiting: Map<string, unknown> }).waiting.size).toBe(1);
  });

  it('remembers MAX_WAITING_CLIENTS at most: past them a new id is a player each try, as a client without one', () => {
    const waiting = new WaitingClients();
    // One address rotating ids while the fleet is full: each id is a new wait.
    for (let i = 0; i < MAX_WAITING_CLIENTS; i++) waiting.turnedAway({ address: ADDRESS, id: `rotated-${i}` }, T0 + i);
    const size = () => (waiting as unknown as { waiting: Map<string, unknown> }).waiting.size;
    expect(size()).toBe(MAX_WAITING_CLIENTS);
    const late = { address: ADDRESS, id: 'one-more' };
    expect(waiting.turnedAway(late, T0 + MAX_WAITING_CLIENTS)).toEqual({ began: true, firstInRound: true });
    expect(waiting.turnedAway(late, T0 + MAX_WAITING_CLIENTS + 1)).toEqual({ began: true, firstInRound: true });
    expect(size()).toBe(MAX_WAITING_CLIENTS);
    // A client remembered before the map filled still waits as one player.
    expect(waiting.turnedAway({ address: ADDRESS, id: 'rotated-0' }, T0 + MAX_WAITING_CLIENTS + 2)).toEqual({ began: false, firstInRound: false });
  });

  it('counts no wait for a client without an id: each of its tries was a player of its own', () => {
    const waiting = new WaitingClients();
    waiting.turnedAway({ address: ADDRESS }, T0);
    expect(waiting.served({ address: ADDRESS }, T0 + 1)).toBe(false);
    expect(waiting.served(undefined, T0 + 1)).toBe(false);
  });

  it("never ends a named client's wait for a client without an id at its address, whatever the name", () => {
    const waiting = new WaitingClients();
    waiting.turnedAway({ address: ADDRESS, id: 'undefined' }, T0);
    expect(waiting.served({ address: ADDRESS }, T0 + 1)).toBe(false);
    // Still waiting: asking again is no new player.
    expect(waiting.turnedAway({ address: ADDRESS, id: 'undefined' }, T0 + 2).began).toBe(false);
  });
});
