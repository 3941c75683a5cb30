// Preloaded into a built server (NODE_OPTIONS=--require …) by the reliability suite: on
// SIGUSR2 it prints what keeps the event loop alive (process.getActiveResourcesInfo(): sockets,
// servers, timers, …) and the heap, as one machine-readable line.
'use strict';
let seq = 0;
process.on('SIGUSR2', () => {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] || 0) + 1;
  seq += 1;
  process.stdout.write(`LMB_HANDLES ${JSON.stringify({ seq, counts, heapUsed: process.memoryUsage().heapUsed })}\n`);
});
