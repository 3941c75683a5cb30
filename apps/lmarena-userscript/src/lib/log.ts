/** Console output of the script, prefixed so users can filter the page's console for it. */
export interface Logger {
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

const PREFIX = '[LMArena Bridge]';

export const consoleLogger: Logger = {
  info: (message, ...extra) => console.info(`${PREFIX} ${message}`, ...extra),
  warn: (message, ...extra) => console.warn(`${PREFIX} ${message}`, ...extra),
  error: (message, ...extra) => console.error(`${PREFIX} ${message}`, ...extra),
};
