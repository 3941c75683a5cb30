import { AppConfig, InjectConfig, ModelRoute } from '@lmarena-bridge/config';
import { Injectable } from '@nestjs/common';
import { statSync } from 'node:fs';

export interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** The model catalogue from models.json, looked up by public name. */
@Injectable()
export class ModelsService {
  private readonly byName: ReadonlyMap<string, ModelRoute>;
  private readonly list: readonly ModelObject[];

  constructor(@InjectConfig() config: AppConfig) {
    this.byName = new Map(config.models.map((m) => [m.name, m]));
    // "created" is when the catalogue last changed: stable across restarts, unlike "now".
    const created = Math.floor(statSync(config.models_path).mtimeMs / 1000);
    this.list = config.models.map((m) => ({ id: m.name, object: 'model', created, owned_by: m.provider }));
  }

  find(name: string): ModelRoute | undefined {
    return this.byName.get(name);
  }

  /** One model object by public name. */
  model(name: string): ModelObject | undefined {
    return this.list.find((m) => m.id === name);
  }

  /** Every model, or only those in `allowed` when a token is limited to some. */
  listModels(allowed?: readonly string[] | null): ModelObject[] {
    return allowed ? this.list.filter((m) => allowed.includes(m.id)) : [...this.list];
  }
}
