// A probe thread that stops (exit code 3) on its first request, every time.
const { parentPort } = require('node:worker_threads');

parentPort.once('message', () => process.exit(3));
