import { parentPort, workerData } from 'node:worker_threads';
import { runWhatIf, WhatIfJob } from './what-if';

// A worker thread of its own: a simulation of days of demand takes seconds of CPU, which the
// allocation endpoint must not wait for. WhatIfService starts it, bounds it and ends it.
parentPort?.postMessage(runWhatIf(workerData as WhatIfJob));
