import type { Environment } from '../../core/environment.js';
import type { Settings } from '../../core/settings/schema.js';

/** The one small typed config every stack takes: where it runs and the checked-in settings. */
export interface StackConfig {
  readonly environment: Environment;
  readonly settings: Settings;
}
