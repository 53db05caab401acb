import { execFileSync } from 'node:child_process';
import { maxClientConnections, openFileLimit, openFileLimitIn } from '../../src/http/http-limits';

describe('http-limits: the client connections the manager holds at once', () => {
  it.each<{ case: string; configured?: number; probeSockets: number; openFiles?: number; expected: number }>([
    { case: 'HTTP_MAX_CONNECTIONS when set, whatever the descriptors', configured: 100, probeSockets: 1_000, openFiles: 20_000, expected: 100 },
    { case: 'else the descriptors left by the probes and 64 for the rest', probeSockets: 1_000, openFiles: 20_000, expected: 18_936 },
    { case: 'at least one, should the probes take every descriptor', probeSockets: 5_000, openFiles: 1_024, expected: 1 },
    { case: 'where the limit cannot be read, 4096', probeSockets: 1_000, openFiles: undefined, expected: 4_096 },
  ])('$case', ({ configured, probeSockets, openFiles, expected }) => {
    expect(maxClientConnections(configured, probeSockets, openFiles)).toBe(expected);
  });

  const limits = (openFiles: string) =>
    [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             96362                96362                processes ',
      `Max open files            ${openFiles.padEnd(20)} 1048576              files     `,
      'Max locked memory         8388608              8388608              bytes     ',
    ].join('\n');

  it.each<{ case: string; text: string; expected: number | undefined }>([
    { case: 'the soft limit, not the hard one', text: limits('20000'), expected: 20_000 },
    { case: 'no limit', text: limits('unlimited'), expected: undefined },
    { case: 'a limit of 0 is no figure to share out', text: limits('0'), expected: undefined },
    { case: 'no line for open files', text: 'Limit                     Soft Limit           Hard Limit           Units     ', expected: undefined },
  ])('/proc/<pid>/limits: $case', ({ text, expected }) => {
    expect(openFileLimitIn(text)).toBe(expected);
  });

  it("reads this process's soft limit of open files", () => {
    // The shell's ulimit, asked apart from the code under test; the child inherits this process's limits.
    const soft = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    expect(openFileLimit()).toBe(soft === 'unlimited' ? undefined : Number(soft));
  });
});
