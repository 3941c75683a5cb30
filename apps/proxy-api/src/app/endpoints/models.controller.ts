import { Controller, Get, Headers, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ProxyError } from '../errors/proxy-error';
import { ModelObject, ModelsService } from '../models/models.service';
import { PolicyStep } from '../pipeline/policy.step';

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly policy: PolicyStep,
  ) {}

  @Get()
  @ApiOkResponse({
    description: 'The models of models.json. No token needed; with a token limited to some models, only those.',
    schema: { example: { object: 'list', data: [{ id: 'echo', object: 'model', created: 1764300000, owned_by: 'echo' }] } },
  })
  async list(@Headers('authorization') authorization?: string): Promise<{ object: 'list'; data: ModelObject[] }> {
    const allowed = await this.policy.modelsFor(authorization);
    const data = this.models.listModels();
    return { object: 'list', data: allowed ? data.filter((m) => allowed.has(m.id)) : data };
  }

  @Get(':id')
  @ApiOkResponse({
    description: 'One model of models.json by its public name. No token needed.',
    schema: { example: { id: 'echo', object: 'model', created: 1764300000, owned_by: 'echo' } },
  })
  @ApiNotFoundResponse({ description: 'model_not_found' })
  retrieve(@Param('id') id: string): ModelObject {
    const model = this.models.model(id);
    if (!model) throw ProxyError.modelNotFound(id);
    return model;
  }
}
