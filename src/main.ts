import 'reflect-metadata';
import { InvalidSettingsError } from './config/validate-settings';
import { createHttpApp, listen } from './http-app';

async function main(): Promise<void> {
  await listen(await createHttpApp());
}

main().catch((error: unknown) => {
  if (error instanceof InvalidSettingsError) {
    for (const problem of error.problems) console.error(problem);
  } else {
    console.error(error);
  }
  process.exit(1);
});
