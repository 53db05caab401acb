import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ClientLimits } from '../../src/allocation/client-limits';
import { Settings } from '../../src/config/settings';

const limits = (perMinute: number) => new ClientLimits(Object.assign(new Settings(), { CLIENT_ALLOCATIONS_PER_MINUTE: perMinute }));
/** Lets the fire-and-forget log line settle. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));
afterEach(() => jest.restoreAllMocks());

describe('ClientLimits', () => {
  it('admits CLIENT_ALLOCATIONS_PER_MINUTE requests of a client a minute, then says how long to wait; other clients are not touched', async () => {
    const clientLimits = limits(3);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await clientLimits.admit('198.51.100.1'));
    expect(answers.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    for (const wait of answers.slice(3)) {
      expect(wait).toBeGreaterThanOrEqual(59);
      expect(wait).toBeLessThanOrEqual(60);
    }
    expect(await clientLimits.admit('198.51.100.2')).toBeUndefined();
  });

  it('admits everything at 0', async () => {
    const clientLimits = limits(0);
    for (let i = 0; i < 1000; i++) expect(await clientLimits.admit('198.51.100.1')).toBeUndefined();
  });

  it('says a client is cut off once a minute, and ten clients a minute at most, however many refusals', async () => {
    const warnings = jest.spyOn(Logger.prototype, 'warn');
    const clientLimits = limits(1);
    for (let i = 0; i < 50; i++) await clientLimits.admit('198.51.100.1');
    await flush();
    expect(warnings.mock.calls).toEqual([
      [{ client: '198.51.100.1', retryAfterSeconds: expect.any(Number) }, expect.stringMatching(/^client 198\.51\.100\.1 asked for more than CLIENT_ALLOCATIONS_PER_MINUTE=1 places in a minute: answered 429 for \d+ s/)],
    ]);
    for (let client = 2; client <= 30; client++) for (let i = 0; i < 3; i++) await clientLimits.admit(`198.51.100.${client}`);
    await flush();
    expect(warnings).toHaveBeenCalledTimes(10);
  });
});
