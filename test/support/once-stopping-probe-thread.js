// A probe thread that stops (exit code 3) on its first request once per test process: it leaves a
// file in the temporary directory (onceStoppedMarker), and while that file exists it is the
// manager's real probe thread, built into dist/.
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { parentPort } = require('node:worker_threads');
const { onceStoppedMarker } = require('./once-stopped-marker');

if (existsSync(onceStoppedMarker)) {
  require(join(__dirname, '..', '..', 'dist', 'fleet', 'health-probe-worker.js'));
} else {
  parentPort.once('message', () => {
    writeFileSync(onceStoppedMarker, '');
    process.exit(3);
  });
}
