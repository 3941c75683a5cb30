import { AppConfig, ConfigError, loadConfig } from '@lmarena-bridge/config';
import { CliError } from './cli-error';

/** What every command gets: the environment, its streams and the configuration, read on demand. */
export interface CliContext {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
  out(line: string): void;
  /** Writes without a line break (an export going to stdout). */
  write(chunk: string): Promise<void>;
  /** The configuration `--config` (or LMB_CONFIG, or ./config.jsonc) names. */
  config(): AppConfig;
}

export function configLoader(env: NodeJS.ProcessEnv, configPath: () => string | undefined): () => AppConfig {
  let config: AppConfig | undefined;
  return () => {
    if (config) return config;
    const path = configPath();
    try {
      config = loadConfig({ env: path ? { ...env, LMB_CONFIG: path } : env });
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(`configuration: ${err.message}`);
      throw err;
    }
    return config;
  };
}
