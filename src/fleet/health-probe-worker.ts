import { parentPort, workerData } from 'node:worker_threads';
import { HealthProbeClient, HealthProbeOptions } from './health-probe-client';
import { ProbeResult } from './health-report';

/** HealthProber to its worker: probe these addresses. */
export interface ProbeRequest {
  readonly id: number;
  readonly addresses: readonly string[];
}

/** The worker's answer: one result per address, in their order. */
export interface ProbeAnswer {
  readonly id: number;
  readonly results: ProbeResult[];
}

// The entry point of the probe thread (HealthProber starts it); imported, it does nothing.
const port = parentPort;
if (port) {
  const client = new HealthProbeClient(workerData as HealthProbeOptions);
  port.on('message', (request: ProbeRequest) => {
    // probeAll never rejects: every probe ends in a result.
    void client.probeAll(request.addresses).then((results) => port.postMessage({ id: request.id, results } satisfies ProbeAnswer));
  });
}
