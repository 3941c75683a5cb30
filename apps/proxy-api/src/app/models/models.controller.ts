import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ProxyError } from '../errors/proxy-error';
import { ModelObject, ModelsService } from './models.service';

@ApiTags('models')
@Controller('v1/models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOkResponse({
    description: 'The models of models.json. No token needed.',
    schema: { example: { object: 'list', data: [{ id: 'echo', object: 'model', created: 1764300000, owned_by: 'echo' }] } },
  })
  list(): { object: 'list'; data: ModelObject[] } {
    return { object: 'list', data: this.models.listModels() };
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
