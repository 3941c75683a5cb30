import { AppConfig, InjectConfig, ModelRoute } from '@lmarena-bridge/config';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { BridgeHub } from '../bridge/bridge-hub.service';
import { ChatProvider } from './chat-provider';
import { EchoProvider } from './echo/echo.provider';
import { LmarenaProvider } from './lmarena/lmarena.provider';
import { OpenAiProvider } from './openai/openai.provider';

/** One provider instance per `providers` entry of config.jsonc, built at start-up. */
@Injectable()
export class ProvidersService implements OnApplicationShutdown {
  private readonly byName = new Map<string, ChatProvider>();

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly bridge: BridgeHub,
  ) {
    for (const [name, provider] of Object.entries(config.providers)) {
      switch (provider.type) {
        case 'echo':
          this.byName.set(name, new EchoProvider());
          break;
        case 'lmarena':
          this.byName.set(name, new LmarenaProvider(this.bridge));
          break;
        case 'openai':
          // Named, never shown: the variable's value is a secret.
          if (provider.api_key_env !== '' && !process.env[provider.api_key_env]) {
            new Logger('Providers').warn(
              `provider "${name}": the environment variable ${provider.api_key_env} (api_key_env) is unset or empty: requests go upstream without a key`,
            );
          }
          this.byName.set(name, new OpenAiProvider(name, provider));
          break;
      }
    }
  }

  forRoute(route: ModelRoute): ChatProvider {
    const provider = this.byName.get(route.provider);
    // The config loader refuses models naming unknown providers; this cannot happen.
    if (!provider) throw new Error(`no provider "${route.provider}"`);
    return provider;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.byName.values()].map((p) => (p instanceof OpenAiProvider ? p.close() : undefined)));
  }
}
