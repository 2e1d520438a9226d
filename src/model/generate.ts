import { existsSync, rmSync } from 'node:fs';
import { type Db, migrateDatabase, openDatabase } from '../db';
import { batchInsert, bulkLoad } from '../db/bulk';

/**
 * A deterministic synthetic graph for tests and benchmarks: the same options give the same
 * graph, row for row. Degrees follow a power law (a few hubs hold thousands of links), dates mix
 * year, month and day precision (and none), and names, predicates and claim texts read like the
 * real thing. The last 1% of entities are left unconnected, so some pairs are unreachable.
 */
export interface GenerateOptions {
  entities: number;
  relationships: number;
  claims: number;
  sources: number;
  seed: number;
  /** Citations per claim are drawn from 0..maxCitations (issue 5's data set uses 1..3). */
  minCitations?: number;
  maxCitations?: number;
}

export interface GenerateReport {
  entities: number;
  relationships: number;
  events: number;
  participants: number;
  sources: number;
  claims: number;
  citations: number;
  isolated: number;
}

/** mulberry32: small, fast, and the same everywhere. */
export function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
    /** An index in [0, n) skewed towards 0: index 0 is the biggest hub. */
    skewed: (n: number) => Math.min(n - 1, Math.floor(n * next() ** 3)),
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'ven', 'tor', 'sa', 'nex', 'qui', 'del', 'ar', 'on', 'bri', 'zu', 'tel', 'mar', 'cor', 'ion', 'pha', 'lux'];
const ORG_SUFFIX = ['Labs', 'Systems', 'Group', 'Institute', 'Foundation', 'Corp', 'Capital', 'Research', 'Dynamics', 'Networks'];
const FIRST = ['Ada', 'Ben', 'Chen', 'Dara', 'Eli', 'Fatima', 'Goran', 'Hana', 'Ivan', 'Jia', 'Kofi', 'Lena', 'Minh', 'Nadia', 'Omar', 'Priya', 'Rafael', 'Sara', 'Tomas', 'Yuki'];
const LAST = ['Nguyen', 'Okafor', 'Silva', 'Kowalski', 'Haddad', 'Tanaka', 'Müller', 'García', 'Ivanova', 'Smith', 'Cohen', 'Rossi', 'Park', 'Mensah', 'Larsen'];
const PLACE_SUFFIX = ['City', 'Bay', 'Heights', 'Valley', 'Port'];
const PRODUCT_SUFFIX = ['AI', 'Cloud', 'One', 'X', 'Studio', 'Assistant'];
const EVENT_NOUNS = ['merger', 'funding round', 'lawsuit', 'board resignation', 'product launch', 'acquisition', 'partnership', 'restructuring'];
const PREDICATES: readonly [string, string][] = [
  ['co_founded', 'co-founded'],
  ['invested_in', 'invested in'],
  ['competes_with', 'competes with'],
  ['partner_of', 'is a partner of'],
  ['acquired', 'acquired'],
  ['works_at', 'works at'],
  ['board_member_of', 'sat on the board of'],
  ['develops', 'develops'],
  ['criticizes', 'criticizes'],
  ['located_in', 'is located in'],
  ['sued', 'sued'],
  ['advises', 'advises'],
];
const CLAIM_TEMPLATES = [
  (a: string, b: string, y: string) => `${a} invested heavily in ${b} around ${y}.`,
  (a: string, b: string) => `${a} argues that ${b} keeps its models closed for competitive advantage.`,
  (a: string, b: string, y: string) => `${a} and ${b} ended their partnership in ${y}.`,
  (a: string, b: string) => `${a} says transparency matters more than speed, unlike ${b}.`,
  (a: string, b: string) => `${a} competes directly with ${b} in the assistant market.`,
  (a: string, b: string, y: string) => `${a} left the board of ${b} in ${y} after a dispute over direction.`,
  (a: string, b: string) => `${a} claims ${b} abandoned its original mission.`,
  (a: string, b: string) => `Critics say ${a} depends on ${b} for computing resources.`,
];
const KINDS = ['ORGANIZATION', 'ORGANIZATION', 'ORGANIZATION', 'PERSON', 'PERSON', 'PERSON', 'EVENT', 'PRODUCT', 'PRODUCT', 'PLACE'] as const;
const SOURCE_KINDS = ['ARTICLE', 'NEWS', 'NEWS', 'ENCYCLOPEDIA', 'FILING', 'PRIMARY', 'OTHER'] as const;
const STANCES = ['SUPPORTS', 'SUPPORTS', 'SUPPORTS', 'SUPPORTS', 'REFUTES', 'QUALIFIES', 'MENTIONS'] as const;
const CLAIM_KINDS = ['FACT', 'FACT', 'POSITION', 'OPINION', 'ANECDOTE'] as const;

export function generateGraph(db: Db, options: GenerateOptions): GenerateReport {
  const rng = random(options.seed);
  const client = db.$client;
  const report: GenerateReport = { entities: 0, relationships: 0, events: 0, participants: 0, sources: 0, claims: 0, citations: 0, isolated: 0 };
  const word = () => {
    const s = rng.pick(SYLLABLES) + rng.pick(SYLLABLES) + (rng.next() < 0.5 ? rng.pick(SYLLABLES) : '');
    return s[0]!.toUpperCase() + s.slice(1);
  };
  const year = () => String(1990 + rng.int(37));
  const partialDate = (): string | null => {
    const r = rng.next();
    if (r < 0.3) return null;
    const y = year();
    if (r < 0.6) return y;
    const m = String(1 + rng.int(12)).padStart(2, '0');
    if (r < 0.8) return `${y}-${m}`;
    return `${y}-${m}-${String(1 + rng.int(28)).padStart(2, '0')}`;
  };

  const base = (client.prepare('SELECT coalesce(max(id), 0) AS n FROM entities').get() as { n: number }).n;
  const tag = `g${options.seed}`;
  const connected = Math.max(2, Math.floor(options.entities * 0.99));
  const kindOf: string[] = [];
  const idOf = (i: number) => base + i + 1;

  // Many rows to a statement: the per-statement cost, not the rows, dominated single-row inserts.
  const entities = batchInsert(db, 'INSERT INTO entities', ['id', 'slug', 'kind', 'name', 'description', 'founded_on', 'occupation', 'developer_id', 'released_on', 'start_date', 'status']);
  const aliases = batchInsert(db, 'INSERT INTO entity_aliases', ['entity_id', 'alias', 'position'], { after: entities });
  const relationships = batchInsert(db, 'INSERT INTO relationships', ['slug', 'subject_id', 'predicate', 'label', 'object_id', 'valid_from', 'valid_to']);
  const participants = batchInsert(db, 'INSERT OR IGNORE INTO event_participants', ['event_id', 'entity_id', 'role']);
  const sources = batchInsert(db, 'INSERT INTO sources', ['id', 'slug', 'kind', 'title', 'publisher_id', 'published_on', 'label']);
  const claims = batchInsert(db, 'INSERT INTO claims', ['id', 'slug', 'text', 'kind', 'claimant_id', 'attribution', 'appears_in_id', 'valid_from']);
  const subjects = batchInsert(db, 'INSERT OR IGNORE INTO claim_subjects', ['claim_id', 'entity_id'], { after: claims });
  const citations = batchInsert(db, 'INSERT OR IGNORE INTO citations', ['claim_id', 'source_id', 'stance', 'locator'], { after: claims });
  const contradictions = batchInsert(db, 'INSERT OR IGNORE INTO claim_contradictions', ['claim_id', 'contradicts_id'], { after: claims });

  /** A connected entity, power-law skewed, optionally of one kind (by retrying a few draws). */
  const connectedEntity = (kind?: string) => {
    for (let tries = 0; tries < 8; tries++) {
      const i = rng.skewed(connected);
      if (!kind || kindOf[i] === kind) return i;
    }
    return rng.skewed(connected);
  };

  const names: string[] = [];
  bulkLoad(db, () => {
    for (let i = 0; i < options.entities; i++) {
      // The first entities are the hubs: make them organizations and people, as in real graphs.
      const kind = i < 5 ? (i % 2 === 0 ? 'ORGANIZATION' : 'PERSON') : rng.pick(KINDS);
      kindOf.push(kind);
      const name =
        kind === 'PERSON'
          ? `${rng.pick(FIRST)} ${rng.pick(LAST)} ${word()}`
          : kind === 'ORGANIZATION'
            ? `${word()} ${rng.pick(ORG_SUFFIX)}`
            : kind === 'PLACE'
              ? `${word()} ${rng.pick(PLACE_SUFFIX)}`
              : kind === 'PRODUCT'
                ? `${word()} ${rng.pick(PRODUCT_SUFFIX)}`
                : `${word()} ${rng.pick(EVENT_NOUNS)} ${year()}`;
      names.push(name);
      const developer = kind === 'PRODUCT' && i > 0 && rng.next() < 0.7 ? idOf(rng.int(i)) : null;
      entities.add(
        idOf(i),
        `${tag}-e${i}`,
        kind,
        name,
        rng.next() < 0.5 ? `${name} is part of the synthetic graph ${tag}.` : null,
        kind === 'ORGANIZATION' ? partialDate() : null,
        kind === 'PERSON' ? rng.pick(['engineer', 'investor', 'researcher', 'founder', 'journalist']) : null,
        developer,
        kind === 'PRODUCT' ? partialDate() : null,
        kind === 'EVENT' ? partialDate() : null,
        kind === 'EVENT' ? rng.pick(['OCCURRED', 'OCCURRED', 'OCCURRED', 'PROPOSED', 'FAILED', 'ALLEGED', 'ONGOING']) : null,
      );
      if (rng.next() < 0.1) aliases.add(idOf(i), word(), 0);
    }
    aliases.flush();
    report.entities = options.entities;
    report.isolated = options.entities - connected;

    for (let r = 0; r < options.relationships; r++) {
      const subject = connectedEntity();
      let object = connectedEntity();
      if (object === subject) object = (subject + 1 + rng.int(connected - 1)) % connected;
      const [predicate, label] = rng.pick(PREDICATES);
      const from = partialDate();
      const to = from && rng.next() < 0.3 ? String(Number(from.slice(0, 4)) + 1 + rng.int(5)) : null;
      relationships.add(`${tag}-r${r}`, idOf(subject), predicate, label, idOf(object), from, to);
    }
    relationships.flush();
    report.relationships = options.relationships;

    for (let i = 0; i < connected; i++) {
      if (kindOf[i] !== 'EVENT') continue;
      report.events++;
      const count = 2 + rng.int(3);
      for (let p = 0; p < count; p++) {
        const member = connectedEntity();
        if (member === i) continue;
        participants.add(idOf(i), idOf(member), rng.pick(['organizer', 'party', 'investor', 'plaintiff', 'defendant', 'witness']));
      }
    }
    participants.flush();
    report.participants = participants.changes;

    const sourceBase = (client.prepare('SELECT coalesce(max(id), 0) AS n FROM sources').get() as { n: number }).n;
    for (let s = 0; s < options.sources; s++) {
      const publisher = connectedEntity('ORGANIZATION');
      sources.add(
        sourceBase + s + 1,
        `${tag}-s${s}`,
        rng.pick(SOURCE_KINDS),
        `${word()} ${rng.pick(['report', 'review', 'interview', 'filing', 'analysis'])} on ${word()} ${rng.pick(ORG_SUFFIX)}`,
        idOf(publisher),
        partialDate(),
        `[${s + 1}]`,
      );
    }
    sources.flush();
    report.sources = options.sources;

    const claimBase = (client.prepare('SELECT coalesce(max(id), 0) AS n FROM claims').get() as { n: number }).n;
    const minCitations = options.minCitations ?? 0;
    const spread = (options.maxCitations ?? 2) - minCitations + 1;
    for (let c = 0; c < options.claims; c++) {
      const id = claimBase + c + 1;
      const a = connectedEntity();
      const b = connectedEntity();
      const claimant = rng.next() < 0.6 ? idOf(connectedEntity()) : null;
      const text = rng.pick(CLAIM_TEMPLATES)(names[a]!, names[b]!, year());
      claims.add(
        id,
        `${tag}-c${c}`,
        text,
        rng.pick(CLAIM_KINDS),
        claimant,
        claimant ? 'REPORTED' : 'DIRECT',
        sourceBase + 1 + rng.skewed(options.sources),
        rng.next() < 0.2 ? partialDate() : null,
      );
      subjects.add(id, idOf(a));
      if (b !== a) subjects.add(id, idOf(b));
      const cited = minCitations + rng.int(spread);
      for (let k = 0; k < cited; k++) {
        citations.add(id, sourceBase + 1 + rng.skewed(options.sources), rng.pick(STANCES), `p. ${1 + rng.int(40)}`);
      }
      if (c > 0 && rng.next() < 0.01) {
        const other = claimBase + 1 + rng.int(c);
        contradictions.add(id, other);
        contradictions.add(other, id);
      }
    }
    for (const batch of [subjects, citations, contradictions]) batch.flush();
    report.claims = options.claims;
    report.citations = citations.changes;
  });
  return report;
}

/**
 * Adds a generated graph to the database file at `path`, creating and migrating it if needed.
 * A new file has nothing to lose, so it is loaded without syncing and then switched to WAL; if
 * its load fails, it is removed.
 */
export function generateFile(path: string, options: GenerateOptions): GenerateReport {
  const fresh = !existsSync(path);
  const db = openDatabase({ path });
  const client = db.$client;
  try {
    migrateDatabase(db);
    if (fresh) {
      // In WAL mode every page would be written twice: to the log, then by the checkpoint. A
      // rollback journal holds only the pages that existed before (the empty schema), so the
      // load costs nothing extra and a killed load still rolls back. (journal_mode = OFF is
      // refused: better-sqlite3 opens connections in defensive mode.)
      client.pragma('journal_mode = DELETE');
      client.pragma('synchronous = OFF');
      // Looking up each new row's references as it goes in cost a fifth of the load; they are
      // checked all at once below instead.
      client.pragma('foreign_keys = OFF');
    }
    // Up to 2 GB of page cache: a 1M-claim graph stays in memory until the commit writes it once
    // (a smaller cache spills). Index builds sort in memory, not in temp files.
    client.pragma('cache_size = -2000000');
    client.pragma('temp_store = MEMORY');
    const report = generateGraph(db, options);
    if (fresh) {
      const dangling = client.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
      if (dangling.length > 0) {
        const [first] = dangling;
        throw new Error(`generated ${dangling.length} rows that refer to missing rows, the first ${first!.table} ${first!.rowid} (to ${first!.parent})`);
      }
      client.pragma('foreign_keys = ON');
    }
    // Full statistics: a sampled optimize skews towards the hubs and misleads the planner.
    client.exec('ANALYZE');
    if (fresh) client.pragma('journal_mode = WAL');
    return report;
  } catch (error) {
    if (fresh) {
      client.close();
      for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    }
    throw error;
  } finally {
    if (client.open) client.close();
  }
}
