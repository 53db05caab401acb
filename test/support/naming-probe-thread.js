// A probe thread that asks nothing: it answers every address with a failed probe naming the thread,
// so that a test can tell which thread answered.
const { parentPort, threadId } = require('node:worker_threads');

parentPort.on('message', ({ id, addresses }) => parentPort.postMessage({ id, results: addresses.map(() => ({ ok: false, error: `answered by thread ${threadId}` })) }));
