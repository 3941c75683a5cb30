import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export interface SwaggerOptions {
  title: string;
  description: string;
  /** Declares the `bearer` scheme: `Authorization: Bearer sk-lmarena-…`. */
  bearer?: boolean;
  /** Declares an API key header scheme, named after the header (e.g. `x-api-key`). */
  apiKeyHeader?: string;
  cookie?: string;
}

/** Swagger UI at /docs and the OpenAPI document at /docs-json. */
export function setupSwagger(app: INestApplication, options: SwaggerOptions): void {
  let builder = new DocumentBuilder().setTitle(options.title).setDescription(options.description).setVersion('0.1.0');
  // addSecurity, not addBearerAuth: that one adds `bearerFormat: JWT`, and the tokens are not JWTs.
  if (options.bearer) builder = builder.addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'An sk-lmarena-… token' });
  if (options.apiKeyHeader) {
    builder = builder.addApiKey({ type: 'apiKey', in: 'header', name: options.apiKeyHeader, description: 'An sk-lmarena-… token' }, options.apiKeyHeader);
  }
  if (options.cookie) builder = builder.addCookieAuth(options.cookie);
  // Every controller names its tags; no extra tag per controller class.
  const document = SwaggerModule.createDocument(app, builder.build(), { autoTagControllers: false });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
