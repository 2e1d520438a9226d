import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/**
 * What a database's write-ahead log holds, read the way SQLite recovers it (https://sqlite.org/fileformat2.html#walformat):
 * a 32-byte header (magic, format, page size, checkpoint sequence, two salts, a checksum of the
 * first 24 bytes), then frames of a 24-byte header (page number, the database size for a commit
 * frame, the two salts, a running checksum) and one page. A frame counts only if its salts are the
 * header's and its running checksum holds; SQLite keeps the frames up to the last such commit frame.
 */
export interface WalReport {
  /** Bytes in the `-wal` file. */
  bytes: number;
  /** The header was unreadable (torn, damaged or not a log): SQLite ignores the whole file. */
  headerDamaged: boolean;
  /** Frames SQLite will replay: valid frames up to and including the last valid commit frame. */
  committedFrames: number;
  /**
   * Frames of the current generation (the header's salts) past the last valid commit: the rest of
   * a transaction that never committed, or frames whose checksum or salts were damaged. A
   * trailing partial frame counts as one. Frames left from before the log was last restarted carry
   * older salts and are not counted: SQLite overwrites them in the normal course.
   */
  discardedFrames: number;
}

const HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;
const MAGIC = 0x377f0682;
const FORMAT_VERSION = 3007000;

/**
 * Reads `<path>-wal`, if there is one with anything in it, without opening the database: call it
 * before SQLite opens the file, which replays the valid frames and drops the rest unannounced.
 */
export function readWal(path: string): WalReport | undefined {
  const walPath = `${path}-wal`;
  if (path === ':memory:' || !existsSync(walPath)) return undefined;
  const bytes = statSync(walPath).size;
  if (bytes === 0) return undefined;
  const fd = openSync(walPath, 'r');
  try {
    return scan(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

function scan(fd: number, bytes: number): WalReport {
  const header = Buffer.alloc(HEADER_BYTES);
  const damaged = (): WalReport => ({ bytes, headerDamaged: true, committedFrames: 0, discardedFrames: framesIn(bytes, header.readUInt32BE(8)) });
  if (readSync(fd, header, 0, HEADER_BYTES, 0) < HEADER_BYTES) return damaged();
  const magic = header.readUInt32BE(0);
  const pageSize = header.readUInt32BE(8);
  if ((magic & ~1) !== MAGIC || header.readUInt32BE(4) !== FORMAT_VERSION || !validPageSize(pageSize)) return damaged();
  const bigEndian = (magic & 1) === 1;
  const sum = checksum(header, 0, 24, [0, 0], bigEndian);
  if (sum[0] !== header.readUInt32BE(24) || sum[1] !== header.readUInt32BE(28)) return damaged();

  const frameBytes = FRAME_HEADER_BYTES + pageSize;
  const salts = header.subarray(16, 24);
  // Frames are read in batches: one read per frame costs more than the checksums.
  const batch = Buffer.alloc(frameBytes * 64);
  let running = sum;
  let valid = 0;
  let committed = 0;
  let discarded = 0;
  let broken = false;
  let offset = HEADER_BYTES;
  outer: while (offset < bytes) {
    const got = readSync(fd, batch, 0, batch.length, offset);
    if (got <= 0) break;
    for (let at = 0; at < got; at += frameBytes) {
      const whole = at + frameBytes <= got;
      const frame = batch.subarray(at, Math.min(at + frameBytes, got));
      const saltsKnown = frame.length >= 16;
      if (saltsKnown && !frame.subarray(8, 16).equals(salts)) break outer; // an older generation: stale
      if (!whole) {
        discarded++; // torn: the file ends inside a frame
        break outer;
      }
      if (!broken) {
        const next = checksum(frame, 0, 8, running, bigEndian);
        checksum(frame, FRAME_HEADER_BYTES, frameBytes, next, bigEndian, next);
        if (next[0] === frame.readUInt32BE(16) && next[1] === frame.readUInt32BE(20)) {
          running = next;
          valid++;
          if (frame.readUInt32BE(4) !== 0) committed = valid;
          continue;
        }
        broken = true;
      }
      discarded++;
    }
    offset += got;
  }
  return { bytes, headerDamaged: false, committedFrames: committed, discardedFrames: discarded + (valid - committed) };
}

const validPageSize = (size: number) => size >= 512 && size <= 65536 && (size & (size - 1)) === 0;

/** Whole or partial frames after the header, when the page size is believable; otherwise 0. */
function framesIn(bytes: number, pageSize: number): number {
  if (!validPageSize(pageSize) || bytes <= HEADER_BYTES) return 0;
  return Math.ceil((bytes - HEADER_BYTES) / (FRAME_HEADER_BYTES + pageSize));
}

/**
 * SQLite's WAL checksum over `buffer[start, end)` as 32-bit words in pairs, continuing from
 * `from`; words are big-endian when the magic's low bit says so.
 */
function checksum(buffer: Buffer, start: number, end: number, from: number[], bigEndian: boolean, into: number[] = [0, 0]): number[] {
  let s1 = from[0]!;
  let s2 = from[1]!;
  for (let i = start; i < end; i += 8) {
    const a = bigEndian ? buffer.readUInt32BE(i) : buffer.readUInt32LE(i);
    const b = bigEndian ? buffer.readUInt32BE(i + 4) : buffer.readUInt32LE(i + 4);
    s1 = (s1 + a + s2) >>> 0;
    s2 = (s2 + b + s1) >>> 0;
  }
  into[0] = s1;
  into[1] = s2;
  return into;
}

/** What a person is told at start-up about a log SQLite will not replay in full, or undefined when it replays all of it. */
export function walWarning(wal: WalReport | undefined): string | undefined {
  if (wal?.headerDamaged) {
    return `the write-ahead log's header was damaged, so all of it (${wal.bytes} bytes) was discarded, with any writes it held`;
  }
  if (wal && wal.discardedFrames > 0) {
    return `the write-ahead log held ${wal.discardedFrames} frames past the last valid commit: a torn or damaged write was discarded`;
  }
  return undefined;
}
