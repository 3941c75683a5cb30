import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from './browser';
import type { FakeArena } from './fake-arena';
import { WORKSPACE_ROOT } from './servers';

/** The userscript as `npx nx build lmarena-userscript` writes it. */
export const USERSCRIPT = join(WORKSPACE_ROOT, 'dist', 'apps', 'lmarena-userscript', 'lmarena-bridge.user.js');

/** The built script with the proxy URL and key filled in the way the dashboard's download does it. */
export function filledUserscript(proxyUrl: string, key: string): string {
  if (!existsSync(USERSCRIPT)) throw new Error(`${USERSCRIPT} is missing: build first (npx nx build lmarena-userscript)`);
  return readFileSync(USERSCRIPT, 'utf8').split('"__LMB_PROXY_URL__"').join(JSON.stringify(proxyUrl)).split('"__LMB_BRIDGE_KEY__"').join(JSON.stringify(key));
}

/**
 * Debian Chromium that takes the fake site for arena.ai: the host names map to 127.0.0.1, its
 * self-signed certificate is accepted, and its address counts as public, as arena.ai's does,
 * so Chromium's Local Network Access rules treat the page's WebSocket to the proxy on
 * loopback as in a user's browser.
 */
export function launchArenaChromium(arena: FakeArena): Promise<Browser> {
  const args = [
    ...CHROMIUM_ARGS,
    '--host-resolver-rules=MAP arena.ai 127.0.0.1,MAP lmarena.ai 127.0.0.1',
    '--ignore-certificate-errors',
    `--ip-address-space-overrides=127.0.0.1:${arena.port}=public`,
  ];
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args, timeout: 60_000 });
}

/**
 * As Tampermonkey/Violentmonkey do: the script runs on every load of a matching page, reloads
 * included, and only there (not on a new tab's about:blank, whose origin is "null").
 */
export async function installUserscript(context: BrowserContext, arena: FakeArena, script: string): Promise<void> {
  await context.addInitScript({ content: `if (location.origin === ${JSON.stringify(arena.origin)}) {\n${script}\n}` });
}

/** What the user clicks "Allow" for when Chromium asks to let the site reach local devices. */
export function allowLocalNetwork(context: BrowserContext, arena: FakeArena): Promise<void> {
  return context.grantPermissions(['local-network-access'], { origin: arena.origin });
}

/** Opens the fake arena in a new tab of `context` and resolves once the userscript says it is connected. */
export async function openConnectedTab(context: BrowserContext, arena: FakeArena): Promise<Page> {
  const tab = await context.newPage();
  const connected = tab.waitForEvent('console', { predicate: (msg) => msg.text().startsWith('[LMArena Bridge] connected to'), timeout: 30_000 });
  await tab.goto(`${arena.origin}/`);
  await connected;
  return tab;
}

/**
 * A port free right now. The proxy gets a known port (not 0) because the dashboard writes the
 * proxy's URL (`bridge.public_url`) into the userscripts it hands out.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
