import { drainingSinceOf } from '../../src/platform/draining-since';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');

describe('drainingSinceOf: when draining began, as a platform recorded it', () => {
  it.each<{ name: string; recorded: string | undefined; expected: number }>([
    { name: 'a time in ISO 8601, as this manager writes it', recorded: '2026-12-01T09:58:30.000Z', expected: NOW - 90_000 },
    { name: 'nothing recorded: drains from now', recorded: undefined, expected: NOW },
    { name: '"true", as earlier managers wrote the tag: from now', recorded: 'true', expected: NOW },
    { name: 'an empty value: from now', recorded: '', expected: NOW },
    { name: 'an unreadable time: from now', recorded: '2026-13-45T99:00:00Z', expected: NOW },
    { name: 'the epoch itself is a time, not a missing one', recorded: '1970-01-01T00:00:00.000Z', expected: 0 },
  ])('$name', ({ recorded, expected }) => {
    expect(drainingSinceOf(recorded, NOW)).toBe(expected);
  });
});
