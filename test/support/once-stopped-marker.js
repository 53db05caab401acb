// The file once-stopping-probe-thread.js leaves: one per test process (a thread's pid is its process's).
const { tmpdir } = require('node:os');
const { join } = require('node:path');

exports.onceStoppedMarker = join(tmpdir(), `probe-thread-stopped-once-${process.pid}`);
