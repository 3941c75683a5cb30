import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const USERSCRIPT_FILENAME = 'lmarena-bridge.user.js';
/** The JS string literals the userscript build leaves for the dashboard to fill in. */
export const PROXY_URL_PLACEHOLDER = '"__LMB_PROXY_URL__"';
export const BRIDGE_KEY_PLACEHOLDER = '"__LMB_BRIDGE_KEY__"';

/** Where the built userscript is: LMB_USERSCRIPT, or dist/apps/lmarena-userscript beside this server. */
export function userscriptPath(): string {
  return resolve(process.env['LMB_USERSCRIPT'] ?? join(__dirname, '..', 'lmarena-userscript', USERSCRIPT_FILENAME));
}

/** Why the template cannot be used; the message is meant for the admin. */
export class UserscriptUnavailable extends Error {}

function countOf(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/**
 * Reads the built userscript, read on every download so a rebuild needs no restart. It must
 * hold each placeholder exactly once: anything else is a broken build, refused before a key
 * is made for it.
 */
export async function readUserscriptTemplate(path = userscriptPath()): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserscriptUnavailable(
      code === 'ENOENT'
        ? `The userscript is not built (${path} is missing): run "npx nx build lmarena-userscript" or set LMB_USERSCRIPT.`
        : `The userscript at ${path} cannot be read (${code ?? 'error'}).`,
    );
  }
  for (const placeholder of [PROXY_URL_PLACEHOLDER, BRIDGE_KEY_PLACEHOLDER]) {
    const n = countOf(text, placeholder);
    if (n !== 1) throw new UserscriptUnavailable(`The userscript at ${path} holds ${placeholder} ${n} times instead of once: rebuild it.`);
  }
  return text;
}

/**
 * The template with the proxy URL and the key filled in as JS string literals. split/join,
 * not String.replace: a `$&` in a value would be read as a replacement pattern.
 */
export function fillUserscript(template: string, proxyUrl: string, bridgeKey: string): string {
  return template.split(PROXY_URL_PLACEHOLDER).join(JSON.stringify(proxyUrl)).split(BRIDGE_KEY_PLACEHOLDER).join(JSON.stringify(bridgeKey));
}
