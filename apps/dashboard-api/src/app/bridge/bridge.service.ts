import { BridgeBrowsersService, BridgeKeysService, BridgeModelsService } from '@lmarena-bridge/bridge';
import { AppConfig, bridgeWebSocketUrl, InjectConfig } from '@lmarena-bridge/config';
import type { BridgeState } from '@lmarena-bridge/contracts';
import { Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { fillUserscript, readUserscriptTemplate, UserscriptUnavailable } from './userscript-file';

/** The Bridge page's data: installable userscripts (one bridge key each), keys, browsers, models. */
@Injectable()
export class BridgeDashboardService {
  constructor(
    private readonly keys: BridgeKeysService,
    private readonly models: BridgeModelsService,
    private readonly browsers: BridgeBrowsersService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /**
   * A new bridge key and the userscript with it and the proxy URL filled in. The template is
   * read first: without a usable build no key is made (it could never be used).
   */
  async createUserscript(name: string, createdBy: number): Promise<string> {
    let template: string;
    try {
      template = await readUserscriptTemplate();
    } catch (err) {
      if (err instanceof UserscriptUnavailable) throw new ServiceUnavailableException(err.message);
      throw err;
    }
    const { secret } = await this.keys.create(name, createdBy);
    return fillUserscript(template, bridgeWebSocketUrl(this.config), secret);
  }

  async state(now = Date.now()): Promise<BridgeState> {
    const [browsers, keys, models] = await Promise.all([this.browsers.listLive(now), this.keys.list(), this.models.list()]);
    return { browsers, keys, models };
  }

  async revokeKey(id: number): Promise<void> {
    if (!(await this.keys.revoke(id))) throw new NotFoundException('Bridge key not found or already revoked.');
  }
}
