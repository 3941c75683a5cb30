import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export interface SwaggerOptions {
  title: string;
  description: string;
  bearer?: boolean;
  cookie?: string;
}

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export function setupSwagger(app: INestApplication, options: SwaggerOptions): void {
  let builder = new DocumentBuilder().setTitle(options.title).setDescription(options.description).setVersion('0.1.0');
  if (options.bearer) builder = builder.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'sk-lmarena-… token' });
  if (options.cookie) builder = builder.addCookieAuth(options.cookie);
  const document = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
