import { BadRequestException, ConflictException, HttpException, HttpStatus, Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InvalidSettingsError } from '../config/validate-settings';
import { DemandRecord, recordedTrace } from '../scaling/demand-record';
import { PolicyTuning } from '../scaling/policy-tuning';
import { Reconciler } from '../scaling/reconciler.service';
import { parseWhatIfRequest, WHAT_IF_MAX_HOURS, WhatIfJob, WhatIfResult } from './what-if';
import { messageOf } from '../domain/error-message';

/** Where a what-if runs and how far it may go. */
export interface WhatIfLimits {
  /** The worker's script, built: dist/operator/what-if.worker.js beside this file. */
  readonly workerFile: string;
  /** A what-if that runs longer is ended, and the operator told to replay fewer hours. */
  readonly timeLimitMs: number;
  /** The heap it may use; a week of a busy game's players fits many times over. */
  readonly heapMb: number;
}

export const WHAT_IF_LIMITS = Symbol('WHAT_IF_LIMITS');
export const DEFAULT_WHAT_IF_LIMITS: WhatIfLimits = { workerFile: join(__dirname, 'what-if.worker.js'), timeLimitMs: 30_000, heapMb: 256 };

/**
 * Runs what-ifs for the operator's page: the recorded demand against the current settings and
 * candidate ones, on a worker thread, so that allocation never waits for a simulation. Bounded:
 * one at a time, each within its WhatIfLimits, at most the recorded week.
 */
@Injectable()
export class WhatIfService implements OnModuleDestroy {
  private readonly logger = new Logger(WhatIfService.name);
  private running?: Worker;

  constructor(
    private readonly tuning: PolicyTuning,
    private readonly demandRecord: DemandRecord,
    private readonly reconciler: Reconciler,
    @Inject(WHAT_IF_LIMITS) private readonly limits: WhatIfLimits,
  ) {}

  /** A manager that stops does not wait for a what-if nobody will read. */
  async onModuleDestroy(): Promise<void> {
    await this.running?.terminate();
  }

  async run(body: unknown): Promise<WhatIfResult> {
    const current = this.tuning.environment();
    const minutes = this.demandRecord.minutes();
    const bootMs = this.reconciler.heldMargins().estimate?.bootMs;
    const defaults = { bootSeconds: Math.max(1, Math.round((bootMs ?? 60_000) / 1000)), hours: Math.min(WHAT_IF_MAX_HOURS, Math.max(1, Math.ceil(minutes.length / 60))) };
    let request;
    try {
      request = parseWhatIfRequest(body, current, defaults);
    } catch (error) {
      if (error instanceof InvalidSettingsError) throw new BadRequestException(error.problems);
      throw error;
    }
    const replayed = minutes.slice(-request.hours * 60);
    const trace = recordedTrace(replayed);
    if (!trace) throw new ConflictException('no demand recorded yet: the first reconcile pass has not run');
    if (this.running) throw new HttpException('a what-if is running already; one runs at a time, ask again when it is done', HttpStatus.TOO_MANY_REQUESTS);
    const job: WhatIfJob = { trace, firstMinute: replayed[0].minute, current, candidate: request.settings, bootSeconds: request.bootSeconds };
    const { workerFile, timeLimitMs, heapMb } = this.limits;
    const worker = new Worker(workerFile, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    this.running = worker;
    const timer = setTimeout(() => void worker.terminate(), timeLimitMs);
    try {
      const [result] = (await Promise.race([once(worker, 'message'), once(worker, 'exit').then(() => [undefined])])) as [WhatIfResult | undefined];
      if (!result) throw new HttpException(`the what-if took longer than ${timeLimitMs / 1000} s and was stopped: replay fewer hours`, HttpStatus.UNPROCESSABLE_ENTITY);
      return result;
    } catch (error) {
      if (error instanceof HttpException) throw error;
      // once() rejects with the worker's own error: out of memory, or a fault of the simulator.
      const code = (error as { code?: string }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') throw new HttpException(`the what-if needed more than ${heapMb} MB and was stopped: replay fewer hours`, HttpStatus.UNPROCESSABLE_ENTITY);
      this.logger.error({ err: error }, `what-if failed: ${messageOf(error)}`);
      throw error;
    } finally {
      clearTimeout(timer);
      this.running = undefined;
      void worker.terminate();
    }
  }
}
