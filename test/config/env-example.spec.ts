import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { Settings } from '../../src/config/settings';
import { validateSettings } from '../../src/config/validate-settings';

describe('.env.example', () => {
  const example = parseEnv(readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8'));

  it('starts the manager as it is', () => {
    expect(() => validateSettings(example)).not.toThrow();
  });

  it('documents every setting', () => {
    expect(Object.keys(example).sort()).toEqual(Object.keys(new Settings()).sort());
  });
});
