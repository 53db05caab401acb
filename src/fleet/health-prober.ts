import { Injectable } from '@nestjs/common';
import { Settings } from '../config/settings';
import { parseHealthReport, ProbeResult } from './health-report';

/** A health answer is a few dozen bytes; anything near this is not a health answer. */
const MAX_BODY_BYTES = 16 * 1024;

/** Asks game servers how much room they have: all in parallel, a bounded number at a time, each with a timeout. */
@Injectable()
export class HealthProber {
  private readonly timeoutMs: number;
  private readonly concurrency: number;

  constructor(settings: Settings) {
    this.timeoutMs = settings.PROBE_TIMEOUT * 1000;
    this.concurrency = settings.PROBE_CONCURRENCY;
  }

  async probe(address: string): Promise<ProbeResult> {
    try {
      const response = await fetch(`http://${address}/health/`, {
        redirect: 'follow',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        return { ok: false, error: `health endpoint answered HTTP ${response.status}` };
      }
      const body = await readCapped(response, MAX_BODY_BYTES);
      return body === undefined ? { ok: false, error: `health answer larger than ${MAX_BODY_BYTES} bytes` } : parseHealthReport(body);
    } catch (error) {
      const reason = isError(error) && error.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : describe(error);
      return { ok: false, error: reason };
    }
  }

  /** Probes every target; results arrive in the order of the targets. */
  async probeAll<T extends { probeAddress: string }>(targets: readonly T[]): Promise<ProbeResult[]> {
    const results = new Array<ProbeResult>(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const index = next++;
        results[index] = await this.probe(targets[index].probeAddress);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, targets.length) }, worker));
    return results;
  }
}

async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describe(error: unknown): string {
  if (!isError(error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return isError(cause) ? `${error.message}: ${cause.message}` : error.message;
}

/** Not instanceof: fetch's errors come from Node's own realm, which is not the caller's inside jest or a vm context. */
function isError(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).name === 'string' && typeof (value as Error).message === 'string';
}
