import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { CLIENT_API_MODELS, CLIENT_API_PATHS } from './allocation/client-api.openapi';

export const OPENAPI_PATH = 'docs';

export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('fleet-manager')
    .setDescription(
      'Hands game clients a game server with free room, and keeps a fleet of game servers between its margins. ' +
        'The game client endpoints are a contract with deployed clients; the operator endpoints need ADMIN_TOKEN.',
    )
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: CLIENT_API_MODELS });
  return { ...document, paths: { ...CLIENT_API_PATHS, ...document.paths } };
}

/** Serves the document at /docs (UI) and /docs/json. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => openApiDocument(app), { jsonDocumentUrl: `${OPENAPI_PATH}/json` });
}
