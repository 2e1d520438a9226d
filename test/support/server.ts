import { type ChildProcess, spawn } from 'node:child_process';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface RunningServer {
  child: ChildProcess;
  /** e.g. "http://127.0.0.1:41234" */
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** The server from its sources, through tsx: what most tests start, with no build in between. */
const FROM_SOURCES = [process.execPath, '--import', 'tsx', 'src/main.ts'];
/** The server as the README starts it: builds dist/ when stale, then runs `node dist/main.js`. */
export const NPM_START = ['npm', 'start'];

/**
 * Starts the server (from its sources unless `command` says otherwise, e.g. NPM_START) on a free
 * port; resolves once it listens.
 */
export function startServer(env: Record<string, string>, command: string[] = FROM_SOURCES): Promise<RunningServer> {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Its exit code once the output it wrote before exiting has been read too (the pipes may still
  // hold some when 'exit' comes), or a second later when a test has stopped reading it.
  const drained = Promise.all([child.stdout!, child.stderr!].map((stream) => new Promise((resolve) => stream.on('close', resolve))));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      const late = setTimeout(() => resolve(code), 1000);
      void drained.then(() => {
        clearTimeout(late);
        resolve(code);
      });
    }),
  );
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // A JSON line's "url" field, or a pretty line's url= (LOG_FORMAT=pretty).
      const match = /(?:"url":"|\burl=)(http:\/\/[^"\s]+)\/graphql/.exec(output);
      if (match) resolve({ child, url: match[1]!, output: () => output, exit });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exit.then((code) => reject(new Error(`server exited with ${code}:\n${output}`)));
  });
}

/** Runs a command-line entry (src/cli/*.ts) to its end; returns its exit code and output. */
export function runCli(script: string, args: string[], env: Record<string, string>, stdin?: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin!.end(stdin ?? '');
  // 'close', not 'exit': the process may have exited before its output has all been read.
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

/** POSTs one GraphQL operation; returns the parsed body. */
export async function post<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as never;
}
