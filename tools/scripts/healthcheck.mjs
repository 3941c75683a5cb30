#!/usr/bin/env node
// Container HEALTHCHECK: GET /readyz of every server this container runs (LMB_APPS, default
// both) on loopback; exit 0 when all answer 200, 1 otherwise.
const ports = { 'proxy-api': process.env.PROXY_PORT || '5102', 'dashboard-api': process.env.DASHBOARD_PORT || '5105' };
const apps = (process.env.LMB_APPS || 'proxy-api dashboard-api').split(/\s+/).filter(Boolean);
let healthy = true;
for (const app of apps) {
  try {
    const res = await fetch(`http://127.0.0.1:${ports[app]}/readyz`, { signal: AbortSignal.timeout(4000) });
    if (res.status !== 200) {
      healthy = false;
      console.error(`${app}: /readyz ${res.status} ${await res.text()}`);
    }
  } catch (err) {
    healthy = false;
    console.error(`${app}: /readyz failed: ${err.cause?.code ?? err.message}`);
  }
}
process.exit(healthy ? 0 : 1);
