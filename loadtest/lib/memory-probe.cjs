/**
 * Preloaded into a server under a soak test (NODE_OPTIONS=--require this file): appends the
 * process's own memory figures (process.memoryUsage: rss, heapTotal, heapUsed, external,
 * arrayBuffers) as one JSON line every LOADTEST_MEMORY_INTERVAL_MS to LOADTEST_MEMORY_FILE, so the
 * soak can report the V8 heap beside the RSS it reads from /proc. Does nothing without the file.
 */
'use strict';
const { appendFileSync } = require('node:fs');

const file = process.env.LOADTEST_MEMORY_FILE;
if (file) {
  const sample = () => appendFileSync(file, `${JSON.stringify({ at: Date.now(), ...process.memoryUsage() })}\n`);
  sample();
  setInterval(sample, Number(process.env.LOADTEST_MEMORY_INTERVAL_MS ?? 10_000)).unref();
}
