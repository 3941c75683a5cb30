import { Module } from '@nestjs/common';
import { ModelsService } from './models.service';

/** models.json as the proxy serves it (GET /v1/models is routed by EndpointsModule: its list depends on the caller's token). */
@Module({ providers: [ModelsService], exports: [ModelsService] })
export class ModelsModule {}
