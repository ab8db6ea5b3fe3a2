import { createRequire } from 'node:module';
import type * as Luxon from 'luxon';

/**
 * luxon's CommonJS build, the very copy cron-parser (under BullMQ's job schedulers) requires.
 * `import 'luxon'` would load its ES build beside it: the same version twice in every role, a second
 * 500 kB source string and class tree.
 */
export const { DateTime } = createRequire(import.meta.url)('luxon') as typeof Luxon;
export type DateTime = Luxon.DateTime;
