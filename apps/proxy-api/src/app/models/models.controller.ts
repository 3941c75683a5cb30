import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
}
