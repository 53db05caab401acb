import 'reflect-metadata';
import { Settings } from './config/settings';
import { InvalidSettingsError } from './config/validate-settings';
import { createHttpApp } from './http-app';

async function main(): Promise<void> {
  const app = await createHttpApp();
  const settings = app.get(Settings);
  await app.listen(settings.PORT, settings.HOST);
}

main().catch((error: unknown) => {
  if (error instanceof InvalidSettingsError) {
    for (const problem of error.problems) console.error(problem);
  } else {
    console.error(error);
  }
  process.exit(1);
});
