import { get } from 'node:http';

/** One probe with nothing around it: GET, read the body, parse it. Node's default agent keeps connections alive, as fetch does. */
function probe(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(`http://${address}/health/`, { timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 && typeof JSON.parse(body).available_capacity === 'number');
        } catch {
          resolve(false);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/**
 * The floor of a pass: the same probes as the manager's, as many at a time, by a minimal loop of
 * bare `http.get`. Throws if any probe failed, as the manager's pass does.
 */
export async function bareProbePass(addresses: readonly string[], concurrency: number, timeoutMs = 2000): Promise<void> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < addresses.length) {
      if (!(await probe(addresses[next++], timeoutMs))) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, addresses.length) }, worker));
  if (failed > 0) throw new Error(`${failed} of ${addresses.length} bare probes failed`);
}
