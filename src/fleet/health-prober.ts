import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Settings } from '../config/settings';
import { HealthProbeOptions } from './health-probe-client';
import type { ProbeAnswer, ProbeRequest } from './health-probe-worker';
import { ProbeResult } from './health-report';

/**
 * The probe thread runs compiled JavaScript: the file beside this one once built, or dist's copy
 * when this file runs from its TypeScript source (the tests, which `npm test` builds first).
 */
const WORKER_SCRIPT = __filename.endsWith('.ts') ? resolve(__dirname, '..', '..', 'dist', 'fleet', 'health-probe-worker.js') : join(__dirname, 'health-probe-worker.js');

const SHUT_DOWN = 'the health prober has shut down';
/** Times a request is sent to a new probe thread after the one it was sent to stopped. */
const MAX_ATTEMPTS = 3;

interface Pending {
  readonly addresses: readonly string[];
  readonly resolve: (results: ProbeResult[]) => void;
  readonly reject: (error: Error) => void;
  attempts: number;
}

/**
 * Asks game servers how much room they have (HealthProbeClient), on a worker thread of its own.
 * On the thread that answers players, a pass's probes at 1,000 servers cost allocations a third
 * of their throughput and doubled their 99th percentile: a probe's answers arrive in bursts, and
 * node:http's client and server share code whose optimizations each spoils for the other (see
 * docs/performance.md). Should the thread stop, the probes it had are sent to a new one; a
 * request that outlives three threads fails its pass (nothing is decided on it), never counts as
 * failed probes: the servers said nothing wrong.
 */
@Injectable()
export class HealthProber implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(HealthProber.name);
  private readonly options: HealthProbeOptions;
  protected readonly workerScript: string = WORKER_SCRIPT;
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(settings: Settings) {
    this.options = { timeoutMs: settings.PROBE_TIMEOUT * 1000, concurrency: settings.PROBE_CONCURRENCY };
  }

  /** Starts the thread with the manager, so that a missing build stops start-up rather than the first pass. */
  onModuleInit(): void {
    this.running();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    for (const pending of this.pending.values()) pending.reject(new Error(SHUT_DOWN));
    this.pending.clear();
    await worker?.terminate();
  }

  probe(address: string): Promise<ProbeResult> {
    return this.ask([address]).then(([result]) => result);
  }

  /** Probes every target; results arrive in the order of the targets. */
  probeAll(targets: readonly { probeAddress: string }[]): Promise<ProbeResult[]> {
    return this.ask(targets.map((target) => target.probeAddress));
  }

  private ask(addresses: readonly string[]): Promise<ProbeResult[]> {
    if (addresses.length === 0) return Promise.resolve([]);
    if (this.closed) return Promise.reject(new Error(SHUT_DOWN));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { addresses, resolve, reject, attempts: 0 });
      this.send(id);
    });
  }

  private send(id: number): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    pending.attempts += 1;
    try {
      this.running().postMessage({ id, addresses: pending.addresses } satisfies ProbeRequest);
    } catch (error) {
      // No thread to be had (its script gone, no memory for one): the request fails, not the manager.
      this.pending.delete(id);
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private running(): Worker {
    if (this.worker) return this.worker;
    if (!existsSync(this.workerScript)) throw new Error(`the probe thread's script ${this.workerScript} is missing: build the manager first (npm run build)`);
    const worker = new Worker(this.workerScript, { workerData: this.options });
    // The manager's server keeps the process alive while it runs; the thread alone must not.
    worker.unref();
    worker.on('message', (answer: ProbeAnswer) => {
      const pending = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      pending?.resolve(answer.results);
    });
    worker.on('error', (error) => this.logger.error({ err: error }, `the probe thread failed: ${String(error)}`));
    worker.on('exit', (code) => this.stopped(worker, code));
    this.worker = worker;
    return worker;
  }

  private stopped(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    if (this.closed) return;
    this.logger.error(`the probe thread stopped (exit code ${code}); its ${this.pending.size} request(s) go to a new one`);
    for (const [id, pending] of this.pending) {
      if (pending.attempts < MAX_ATTEMPTS) {
        this.send(id);
      } else {
        this.pending.delete(id);
        pending.reject(new Error(`probing failed: ${MAX_ATTEMPTS} probe threads stopped while asking`));
      }
    }
  }
}
