import { execFileSync } from 'node:child_process';
import { maxClientConnections, openFileLimit } from '../../src/http/http-limits';

describe('http-limits: the client connections the manager holds at once', () => {
  it.each<{ case: string; configured?: number; probeSockets: number; openFiles?: number; expected: number }>([
    { case: 'HTTP_MAX_CONNECTIONS when set, whatever the descriptors', configured: 100, probeSockets: 1_000, openFiles: 20_000, expected: 100 },
    { case: 'else the descriptors left by the probes and 64 for the rest', probeSockets: 1_000, openFiles: 20_000, expected: 18_936 },
    { case: 'at least one, should the probes take every descriptor', probeSockets: 5_000, openFiles: 1_024, expected: 1 },
    { case: 'where the limit cannot be read, 4096', probeSockets: 1_000, openFiles: undefined, expected: 4_096 },
  ])('$case', ({ configured, probeSockets, openFiles, expected }) => {
    expect(maxClientConnections(configured, probeSockets, openFiles)).toBe(expected);
  });

  it("reads this process's soft limit of open files", () => {
    // The shell's ulimit, asked apart from the code under test; the child inherits this process's limits.
    const soft = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    expect(openFileLimit()).toBe(soft === 'unlimited' ? undefined : Number(soft));
  });
});
