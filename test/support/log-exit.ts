/**
 * Logs a few lines and exits in the same turn of the event loop, before the turn's batch of
 * lines would go out: the process's exit hands them on.
 */
import { createLog } from '../../src/log';

const { log } = createLog('info');
for (let i = 0; i < 5; i++) log.info({ i }, 'before exit');
process.exit(0);
