/**
 * Writes twice LOG_BUFFER_BYTES of log lines at once through the process's logger, says on stderr
 * how many it dropped, and exits once the rest has reached stdout.
 */
import { createLog, LOG_BUFFER_BYTES } from '../../src/log';

const { log, dropped, flushed } = createLog('info');
const filler = 'x'.repeat(400);
const lines = Math.ceil((2 * LOG_BUFFER_BYTES) / filler.length);
for (let i = 0; i < lines; i++) log.info({ i, filler }, 'flood');
process.stderr.write(`wrote ${lines} dropped ${dropped()}\n`);
flushed(() => process.exit(0));
