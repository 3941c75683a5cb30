import { ConfigError } from './config-error';
import { AppConfig } from './config.types';
import { loadConfig } from './load-config';

/** For main.ts: load the configuration or print the problem and exit with status 1. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
