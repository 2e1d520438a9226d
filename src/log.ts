import pino, { type Level, type Logger } from 'pino';
import SonicBoom from 'sonic-boom';

/** Bytes of log lines held while nobody reads stdout; a line that would not fit is dropped and counted. */
export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;
/** Characters kept of any one string in a log line (a message, a path, a value); a stack keeps this much per line. */
export const LOG_FIELD_CHARS = 500;
/** Lines kept of a stack. */
const STACK_LINES = 30;

export function truncate(value: string, max = LOG_FIELD_CHARS): string {
  return value.length <= max ? value : `${value.slice(0, max)}… (${value.length} characters)`;
}

/** Whether a log line's field is written as it is: a number, a boolean, or a string within LOG_FIELD_CHARS that is not a stack. */
const asItIs = (value: unknown, key: string) =>
  value === undefined || typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value.length <= LOG_FIELD_CHARS && key !== 'stack');

/**
 * A log line's fields with every string cut to LOG_FIELD_CHARS; a stack keeps its first lines, each
 * cut. The fields themselves when none needs cutting (a request's line: one check per field, no copy).
 */
function boundedFields(fields: Record<string, unknown>): Record<string, unknown> {
  for (const key in fields) if (!asItIs(fields[key], key)) return bounded(fields) as Record<string, unknown>;
  return fields;
}

/** A copy of a log line's fields with every string cut to LOG_FIELD_CHARS; a stack keeps its first lines, each cut. */
function bounded(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') {
    if (key !== 'stack') return truncate(value);
    const lines = value.split('\n');
    const kept = lines.slice(0, STACK_LINES).map((line) => truncate(line));
    return lines.length > STACK_LINES ? [...kept, `… (${lines.length - STACK_LINES} more lines)`].join('\n') : kept.join('\n');
  }
  if (value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (depth > 5) return '[deeper fields left out]';
  if (Array.isArray(value)) {
    const items = value.slice(0, 20).map((item) => bounded(item, '', depth + 1));
    return value.length > 20 ? [...items, `… (${value.length} items)`] : items;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bounded(v, k, depth + 1)]));
}

/** How lines are written: JSON (for collectors), or one short line of text for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
/** Fields every line has, or that the pretty line shows in its own place. */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
const REQUEST_FIELDS = new Set([...SHOWN, 'requestId', 'method', 'path', 'operation', 'status', 'durationMs', 'cost', 'cache', 'codes']);

/**
 * One JSON log line as a person reads it: the time, the level and the message; a request line
 * (src/http/request-log.ts) as time, level, method, path, operation, status, duration, cost and
 * cache outcome. Other fields follow as name=value.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = LEVEL_NAMES[entry.level as number] ?? String(entry.level);
  const rest = (skip: Set<string>) =>
    Object.entries(entry)
      .filter(([key, value]) => !skip.has(key) && value !== undefined)
      .map(([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join('');
  if (entry.msg === 'request' && 'requestId' in entry) {
    const { method, path, operation, status, durationMs, cost, cache, codes, requestId } = entry;
    const errors = Array.isArray(codes) ? ` ${codes.join(',')}` : '';
    return `${time} ${level} ${method} ${path} ${operation ?? '-'} ${status} ${durationMs}ms cost=${cost ?? '-'} cache=${cache}${errors} id=${requestId}${rest(REQUEST_FIELDS)}\n`;
  }
  return `${time} ${level} ${entry.msg ?? ''}${rest(SHOWN)}\n`;
}

export interface ProcessLog {
  log: Logger;
  /** Lines dropped since start because stdout was not being read fast enough (or at all). */
  dropped(): number;
  /** Calls back once every line written so far has reached stdout; never, if nobody reads it. */
  flushed(callback: () => void): void;
}

/** How long a line may wait for others to go out with it. */
const BATCH_MS = 10;
/** The most characters of lines kept waiting: more go out at once. */
const BATCH_BYTES = 64 * 1024;
/** pino's number for `warn`. */
const WARN_LEVEL = 40;
/** Each logger's batch writer: lines still waiting are handed on when the process exits. */
const unwritten = new Set<() => void>();
process.once('exit', () => unwritten.forEach((write) => write()));

/**
 * The process's logger. Lines go to stdout through an asynchronous buffer, so a reader that stops
 * reading (a stalled pipe, a full log collector) never blocks the event loop: past
 * LOG_BUFFER_BYTES lines are dropped and counted, and once the reader catches up one warning says
 * how many were lost.
 *
 * pino.destination() is not used because it flushes synchronously at exit, which waits forever on
 * a pipe nobody reads; sonic-boom, which it wraps, is used directly instead.
 *
 * Lines go out together, at most BATCH_MS after the first of them (warnings and errors at once):
 * a write per request log line cost about a tenth of a fast read's CPU under load.
 */
export function createLog(level: Level | 'silent', format: LogFormat = 'json'): ProcessLog {
  // Opening process.stdout lets libuv put a pipe into non-blocking mode. Left blocking, the write
  // into a full pipe would hold a thread-pool thread for good, and process.exit() waits for it.
  void process.stdout.fd;
  const destination = new SonicBoom({ fd: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
  let dropped = 0;
  let unreported = 0;
  let broken = false;
  let pending = 0;
  const waiting: (() => void)[] = [];
  destination.on('drop', (text: string) => {
    let lines = 0;
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
    dropped += lines;
    unreported += lines;
  });
  // EPIPE and the like: whoever read stdout is gone. Count the lines from now on, write none.
  destination.on('error', () => {
    broken = true;
  });
  destination.on('drain', () => {
    pending = 0;
    if (unreported > 0 && !broken) {
      const lines = unreported;
      unreported = 0;
      log.warn({ droppedLogLines: lines, droppedSinceStart: dropped }, `dropped ${lines} log lines while stdout was not being read`);
    }
    if (pending === 0) for (const callback of waiting.splice(0)) callback();
  });
  /**
   * Lines not yet handed to the destination, and their characters. Joined once when they go: a
   * string grown line by line is a tree of pieces, which cost about as much again to flatten and
   * encode.
   */
  let batch: string[] = [];
  let batchChars = 0;
  const writeBatch = () => {
    if (batch.length === 0) return;
    const text = batch.join('');
    batch = [];
    batchChars = 0;
    destination.write(text);
  };
  unwritten.add(writeBatch);
  const sink = {
    // pino sets lastLevel before each write (its metadata protocol).
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 0,
    write(line: string) {
      if (broken) {
        dropped++;
        return true;
      }
      pending++;
      if (batch.length === 0) setTimeout(writeBatch, BATCH_MS);
      const text = format === 'pretty' ? prettyLine(line) : line;
      batch.push(text);
      batchChars += text.length;
      // A warning or an error goes out at once, as does a batch past BATCH_BYTES.
      if (sink.lastLevel >= WARN_LEVEL || batchChars >= BATCH_BYTES) writeBatch();
      return true;
    },
  };
  const log = pino(
    {
      level,
      formatters: { log: boundedFields },
      serializers: {
        err: (error: Error) => bounded(pino.stdSerializers.err(error)),
        msg: (message: unknown) => (typeof message === 'string' ? truncate(message) : message),
      },
    },
    sink,
  );
  return {
    log,
    dropped: () => dropped,
    flushed(callback) {
      if (broken || (pending === 0 && batch.length === 0)) return callback();
      waiting.push(callback);
      // Lines still waiting go now: 'drain' follows once they are written.
      writeBatch();
    },
  };
}
