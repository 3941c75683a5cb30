// Preloaded into a built server (NODE_OPTIONS=--require …) by the reliability suite: on
// SIGUSR2 it prints what keeps the event loop alive (process.getActiveResourcesInfo(): sockets,
// servers, timers, …) and the heap, as one machine-readable line.
'use strict';
// A full collection before each reading, so heapUsed compares live memory, not garbage.
require('node:v8').setFlagsFromString('--expose-gc');
const collect = require('node:vm').runInNewContext('gc');
let seq = 0;
process.on('SIGUSR2', () => {
  collect();
  collect();
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] || 0) + 1;
  seq += 1;
  process.stdout.write(`LMB_HANDLES ${JSON.stringify({ seq, counts, heapUsed: process.memoryUsage().heapUsed })}\n`);
});
