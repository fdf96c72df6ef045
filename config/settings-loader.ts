// Loads the ODCS settings: the JSON file named by ODCS_CONFIG, or the embedded defaults, in which
// `${DATA_DIR}` stands for the configured data directory (so the demo tag works out of the box).
import fs from 'node:fs';
import type { AppConfig } from '../core/config.js';
import { parseSettings, type OdcsSettings } from '../core/settings.js';

export const DEMO_TAG = 'demo';

export function embeddedSettings(config: AppConfig): unknown {
  return {
    auth_backend: 'noauth',
    allowed_source_types: ['tag', 'build', 'repo'],
    tags: {
      [DEMO_TAG]: { repos: [`${config.dataDir}/repos/demo`] },
    },
  };
}

export function loadSettings(config: AppConfig): OdcsSettings {
  if (!config.odcsConfigFile) return parseSettings(embeddedSettings(config));
  let text: string;
  try {
    text = fs.readFileSync(config.odcsConfigFile, 'utf8');
  } catch (err) {
    throw new Error(`ODCS_CONFIG: cannot read ${config.odcsConfigFile}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replaceAll('${DATA_DIR}', config.dataDir));
  } catch (err) {
    throw new Error(`ODCS_CONFIG: ${config.odcsConfigFile} is not valid JSON: ${(err as Error).message}`);
  }
  return parseSettings(json);
}
