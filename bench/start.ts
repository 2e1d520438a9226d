/**
 * `npx tsx bench/start.ts [--runs 7]`: how long a fresh server process takes to listen, and the
 * memory it holds, compiled (dist/, as `npm start` runs it) against the sources through tsx. Each
 * variant starts `runs` times on one already-seeded database; medians are printed as a markdown
 * table. CPU time and RSS are summed over the process tree (`tsx` itself forks a node child), read from /proc
 * once the server listens and again after its first GraphQL answer.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(args.runs);
const ROOT = new URL('..', import.meta.url).pathname;
const DATABASE_PATH = join(mkdtempSync(join(tmpdir(), 'claimgraph-start-')), 'claimgraph.db');

const VARIANTS: { name: string; command: string[] }[] = [
  { name: 'npm start (npm, the build check, then the line below)', command: ['npm', 'start'] },
  { name: 'node --enable-source-maps dist/main.js (what npm start runs)', command: [process.execPath, '--enable-source-maps', 'dist/main.js'] },
  { name: 'node dist/main.js', command: [process.execPath, 'dist/main.js'] },
  { name: 'tsx src/main.ts (the former npm start)', command: [join(ROOT, 'node_modules', '.bin', 'tsx'), 'src/main.ts'] },
  { name: 'node --import tsx src/main.ts', command: [process.execPath, '--import', 'tsx', 'src/main.ts'] },
];

/** Resident memory (MB) and CPU time so far (ms, user + system) of a process and its descendants. */
function tree(pid: number): { rssMb: number; cpuMs: number } {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  let kb = 0;
  let ticks = 0;
  for (const queue = [pid]; queue.length > 0; ) {
    const next = queue.pop()!;
    const status = readFileSync(`/proc/${next}/status`, 'utf8');
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const raw = readFileSync(`/proc/${next}/stat`, 'utf8');
    // After "pid (comm) ": state is field 3, utime and stime fields 14 and 15.
    const stat = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    ticks += Number(stat[11]) + Number(stat[12]);
    queue.push(...(children.get(next) ?? []));
  }
  return { rssMb: kb / 1024, cpuMs: ticks * MS_PER_TICK };
}

/** /proc's clock ticks (USER_HZ) are 100 a second on Linux. */
const MS_PER_TICK = 10;

interface Sample {
  listenMs: number;
  cpuMs: number;
  rssListening: number;
  rssAnswered: number;
}

async function once(command: string[]): Promise<Sample> {
  const started = performance.now();
  const [file, ...rest] = command;
  const child: ChildProcess = spawn(file!, rest, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+\/graphql)"/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  const listenMs = performance.now() - started;
  const { cpuMs } = tree(child.pid!);
  // Let the link index built just after listening settle, as on a server about to take traffic.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rssListening = tree(child.pid!).rssMb;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ entity(name: "Musk") { name claims(first: 5) { totalCount } } }' }),
  });
  if (!response.ok) throw new Error(`status ${response.status}`);
  await response.json();
  const rssAnswered = tree(child.pid!).rssMb;
  child.kill('SIGTERM');
  await exited;
  return { listenMs, cpuMs, rssListening, rssAnswered };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

execFileSync(process.execPath, ['src/cli/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
await once(VARIANTS[0]!.command); // creates and seeds the database, so every timed start opens the same file
const rows: string[] = [];
for (const variant of VARIANTS) {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once(variant.command));
  rows.push(
    `| ${variant.name} | ${median(samples.map((s) => s.listenMs)).toFixed(0)} | ${median(samples.map((s) => s.cpuMs)).toFixed(0)} | ${median(samples.map((s) => s.rssListening)).toFixed(0)} | ${median(samples.map((s) => s.rssAnswered)).toFixed(0)} |`,
  );
}
process.stdout.write(
  [
    `Fresh server processes, median of ${runs} starts each (seeded article database, Node ${process.version}):`,
    '',
    '| command | ms until listening | CPU ms until listening | RSS MB listening | RSS MB after one query |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n'),
);
