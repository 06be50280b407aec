import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, type WriteStream } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type Readiness = { http: string } | { tcp: { host: string; port: number } } | { logLine: RegExp };

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  ready: Readiness;
  /** Loopback ports the program listens on: checked to be free before it starts. */
  listens?: number[];
}

const handedOut = new Set<number>();

/** The first port the kernel hands out to outgoing connections (ip_local_port_range). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port that was free a moment ago, never the same one twice in this process, and below the
 * ephemeral range: a port from bind(0) can be handed out again once released, and any outgoing
 * connection may take it before the program meant to listen on it starts.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = Math.max(low + 1_000, ephemeralLow());
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port) || !(await listenable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free loopback port between ${low} and ${high}`);
}

/** The ports among `ports` that something already listens on (on 127.0.0.1). */
export async function busyPorts(ports: number[]): Promise<number[]> {
  const free = await Promise.all(ports.map(listenable));
  return ports.filter((_, index) => !free[index]);
}

/**
 * One program of a local stack: started with its output appended to <logDir>/<name>.log (kept in memory
 * only, without a logDir), waited for until it is ready, stopped with SIGTERM (SIGKILL after a grace
 * period), and restartable.
 */
export class ManagedProcess {
  private child?: ChildProcess;
  private log?: WriteStream;
  private output = '';
  private exitCode?: number | null;
  private exited?: Promise<number | null>;

  constructor(
    readonly spec: ProcessSpec,
    private readonly logDir?: string,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  /** The last lines the program wrote, for error messages. */
  tail(lines = 20): string {
    return this.output.split('\n').slice(-lines).join('\n');
  }

  logFile(): string {
    if (!this.logDir) throw new Error(`${this.name} keeps no log file`);
    return join(this.logDir, `${this.spec.name}.log`);
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    if (this.logDir) {
      mkdirSync(this.logDir, { recursive: true });
      this.log = createWriteStream(this.logFile(), { flags: 'a' });
    }
    this.output = '';
    this.exitCode = undefined;
    const child = spawn(this.spec.command, this.spec.args, {
      cwd: this.spec.cwd,
      env: this.spec.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.log?.write(chunk);
      this.output = (this.output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => {
        keep(Buffer.from(`${error.message}\n`));
        this.exitCode = null;
        resolve(null);
      });
      child.once('exit', (code) => {
        this.exitCode = code;
        this.log?.end();
        resolve(code);
      });
    });
    this.child = child;
  }

  /** Polls readiness every intervalMs (the benchmark times start-up with a finer one). */
  async waitReady(timeoutMs = 60_000, intervalMs = 200): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited with ${this.exitCode} before it was ready:\n${this.tail()}`);
      if (await this.isReady()) return;
      await sleep(intervalMs);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`);
  }

  async isReady(): Promise<boolean> {
    const ready = this.spec.ready;
    try {
      if ('http' in ready) return (await fetch(ready.http, { signal: AbortSignal.timeout(1000) })).ok;
      if ('logLine' in ready) return ready.logLine.test(this.output);
      return await new Promise<boolean>((resolve) => {
        const socket = connect(ready.tcp.port, ready.tcp.host);
        socket.setTimeout(1000);
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
        socket.once('timeout', () => (socket.destroy(), resolve(false)));
      });
    } catch {
      return false;
    }
  }

  /** Sends SIGTERM (or the given signal), waits for exit, and SIGKILLs after graceMs. */
  async stop(graceMs = 15_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null | undefined> {
    if (!this.running || !this.child) return this.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Resolves with the exit code when the program exits. */
  async waitExit(): Promise<number | null | undefined> {
    return this.exited;
  }

  /** Freezes (SIGSTOP) or thaws (SIGCONT) the program: it keeps its sockets but answers nothing. */
  pause(paused: boolean): void {
    this.child?.kill(paused ? 'SIGSTOP' : 'SIGCONT');
  }
}
