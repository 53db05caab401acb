import 'reflect-metadata';
import { HttpException, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { validateSettings } from '../../src/config/validate-settings';
import { WhatIfResult } from '../../src/operator/what-if';
import { DEFAULT_WHAT_IF_LIMITS, WhatIfLimits, WhatIfService } from '../../src/operator/what-if.service';
import { DemandRecord } from '../../src/scaling/demand-record';
import { PolicyTuning } from '../../src/scaling/policy-tuning';
import { Reconciler } from '../../src/scaling/reconciler.service';

/** The worker as built by `npm run build` (npm test builds first): a worker thread runs JavaScript, not this TypeScript. */
const BUILT_WORKER = join(__dirname, '..', '..', 'dist', 'operator', 'what-if.worker.js');
const T0 = Date.parse('2030-01-01T18:00:00Z');

beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(['log', 'error', 'warn', 'debug', 'verbose', 'fatal']));

function setUp(limits: Partial<WhatIfLimits> = {}, minutes = 30, perMinute = 6) {
  const tuning = new PolicyTuning(validateSettings({ UPSCALE_MARGIN: '4', DOWNSCALE_MARGIN: '18', SERVER_CAPACITY: '10' }));
  const demandRecord = new DemandRecord();
  for (let minute = 0; minute < minutes; minute++) demandRecord.record(T0 + minute * 60_000, { handedOut: perMinute, waitsServed: 0, turnedAway: 0, inUse: Math.min(minute * perMinute, 60) });
  // Only the boot time it counts on is read of the reconciler: the platform prior before any launch.
  const reconciler = { heldMargins: () => ({ mode: 'fixed', upscaleMargin: 4, downscaleMargin: 18, estimate: { bootMs: 45_000 } }) } as unknown as Reconciler;
  const service = new WhatIfService(tuning, demandRecord, reconciler, { ...DEFAULT_WHAT_IF_LIMITS, workerFile: BUILT_WORKER, ...limits });
  return { service, tuning, demandRecord };
}

async function refusal(answer: Promise<unknown>): Promise<{ status: number; message: unknown }> {
  try {
    await answer;
  } catch (error) {
    if (error instanceof HttpException) {
      // What the client reads as `message`: the exception's own text, or the list given to it.
      const response = error.getResponse();
      return { status: error.getStatus(), message: typeof response === 'string' ? response : (response as { message: unknown }).message };
    }
    throw error;
  }
  throw new Error('answered');
}

describe('WhatIfService: what-ifs on a worker thread, bounded', () => {
  it('answers both runs, from the recorded demand, the measured boot time and the current settings, without holding the event loop', async () => {
    const { service } = setUp();
    let timerRan = false;
    const answer = service.run({ settings: { UPSCALE_MARGIN: 8, DOWNSCALE_MARGIN: 30 } }).then((result) => ({ result, timerRanFirst: timerRan }));
    // Set after the request began: a simulation run on this thread would answer before it fires.
    setTimeout(() => (timerRan = true), 0);
    const { result, timerRanFirst } = await answer;
    expect(timerRanFirst).toBe(true);
    expect(result).toMatchObject<Partial<WhatIfResult>>({ from: '2030-01-01T18:00:00.000Z', to: '2030-01-01T18:30:00.000Z', bootSeconds: 45 });
    expect(result.current.settings.UPSCALE_MARGIN).toBe('4');
    expect(result.candidate.settings.UPSCALE_MARGIN).toBe('8');
    expect(result.current.figures.players).toBe(result.candidate.figures.players);
    expect(result.current.figures.players).toBeGreaterThanOrEqual(30 * 6 - 30);
  });

  it('replays the last `hours` only', async () => {
    const { service } = setUp({}, 150);
    const result = await service.run({ hours: 1 });
    expect(result.from).toBe(new Date(T0 + 90 * 60_000).toISOString());
  });

  it('runs one at a time: 429 while one runs, and the next one after it', async () => {
    const { service } = setUp();
    const first = service.run({});
    expect(await refusal(service.run({}))).toEqual({ status: 429, message: 'a what-if is running already; one runs at a time, ask again when it is done' });
    await first;
    await expect(service.run({})).resolves.toBeDefined();
  });

  it('stops a what-if past its time limit: 422, and the next one runs', async () => {
    const { service } = setUp({ timeLimitMs: 1 });
    expect(await refusal(service.run({}))).toEqual({ status: 422, message: 'the what-if took longer than 0.001 s and was stopped: replay fewer hours' });
    expect(await refusal(service.run({}))).toMatchObject({ status: 422 });
  });

  it('stops a what-if past its memory: 422', async () => {
    // A week of minutes with a player each second: more players than 4 MB of heap can plan.
    const { service } = setUp({ heapMb: 4 }, 7 * 24 * 60, 60);
    expect(await refusal(service.run({}))).toEqual({ status: 422, message: 'the what-if needed more than 4 MB and was stopped: replay fewer hours' });
  });

  it('refuses bad settings with a 400 naming each problem, and nothing recorded with a 409', async () => {
    expect(await refusal(setUp().service.run({ settings: { MAX_SERVERS: 'many' }, hours: 0 }))).toEqual({
      status: 400,
      message: ['hours must be a whole number from 1 to 168, not 0', 'Invalid setting MAX_SERVERS="many": must be a whole number >= 1'],
    });
    expect(await refusal(setUp().service.run({ settings: { MAX_SERVERS: 'many' } }))).toEqual({ status: 400, message: [expect.stringMatching(/^Invalid setting MAX_SERVERS="many": must /)] });
    expect(await refusal(setUp({}, 0).service.run({}))).toEqual({ status: 409, message: 'no demand recorded yet: the first reconcile pass has not run' });
  });

  it('ends a running what-if when the manager stops', async () => {
    const { service } = setUp({}, 7 * 24 * 60, 60);
    const running = refusal(service.run({}));
    await service.onModuleDestroy();
    expect(await running).toMatchObject({ status: 422 });
  });
});
