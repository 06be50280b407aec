// kubectl for the lab: always with an explicit context, errors as one line.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A failure the CLI reports as one line (exit 1). */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): RunResult {
  const result = spawnSync(command, args, {
    input: options.input,
    env: options.env ?? process.env,
    cwd: options.cwd,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return { status: null, stdout: '', stderr: missing ? `${command} is not installed (docs/workshop.md, "Before the workshop")` : result.error.message };
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function must(command: string, args: string[], options: Parameters<typeof run>[2] = {}): string {
  const result = run(command, args, options);
  if (result.status !== 0) {
    const last = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    throw new LabError(`${command} ${args.slice(0, 6).join(' ')}${args.length > 6 ? ' …' : ''} failed: ${last}`);
  }
  return result.stdout;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns something; errors count as "not yet", but a LabError ends the wait at once. */
export async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof LabError) throw error;
      last = error;
    }
    if (Date.now() > deadline) throw new LabError(`${what} within ${Math.round(timeoutMs / 1000)} s${last instanceof Error ? ` (${last.message.split('\n')[0]})` : ''}`);
    await sleep(intervalMs);
  }
}

/** The workshop's own kind cluster: the one context the lab acts on without being told. */
export const KIND_CLUSTER = 'qoslab';
const KIND_CONTEXT = `kind-${KIND_CLUSTER}`;

export class Kube {
  readonly kubectl: string;
  private readonly prefix: string[];

  /** `kubeconfig` when not the one kubectl finds itself (KUBECONFIG, ~/.kube/config). */
  constructor(
    readonly context: string,
    kubectl = process.env.QOSLAB_KUBECTL ?? 'kubectl',
    kubeconfig?: string,
  ) {
    this.kubectl = kubectl;
    this.prefix = [...(kubeconfig ? ['--kubeconfig', kubeconfig] : []), '--context', context];
  }

  /** The context from QOSLAB_CONTEXT, else the workshop's kind cluster. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Kube {
    return new Kube(env.QOSLAB_CONTEXT ?? KIND_CONTEXT);
  }

  get isKind(): boolean {
    return this.context === KIND_CONTEXT;
  }

  run(args: string[], input?: string, timeoutMs?: number): RunResult {
    return run(this.kubectl, [...this.prefix, ...args], { ...(input === undefined ? {} : { input }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  }

  ok(args: string[], input?: string, timeoutMs?: number): string {
    const result = this.run(args, input, timeoutMs);
    if (result.status !== 0) {
      const last = `${result.stderr}\n${result.stdout}`.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      throw new LabError(`kubectl ${args.slice(0, 5).join(' ')}${args.length > 5 ? ' …' : ''}: ${last}`);
    }
    return result.stdout;
  }

  json(args: string[]): Obj {
    return JSON.parse(this.ok([...args, '-o', 'json'])) as Obj;
  }

  apply(objects: Obj[] | string): void {
    const input = typeof objects === 'string' ? objects : JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
    this.ok(['apply', '-f', '-'], input);
  }

  /** Fails at once with a clear line when the context does not answer. */
  requireReachable(): void {
    const result = this.run(['get', '--raw', '/readyz'], undefined, 20_000);
    if (result.status !== 0) {
      const hint = this.isKind ? 'create it with: npm run lab -- create-cluster' : 'check QOSLAB_CONTEXT and your kubeconfig';
      throw new LabError(`the cluster of context "${this.context}" does not answer (${result.stderr.trim().split('\n')[0] ?? ''}); ${hint}`);
    }
  }

  node(): Obj {
    const nodes = this.json(['get', 'nodes']).items as Obj[];
    if (nodes.length !== 1) throw new LabError(`the lab needs a single-node cluster; context "${this.context}" has ${nodes.length} nodes`);
    return nodes[0]!;
  }

  /** `kubectl port-forward` to a local port; resolves once it accepts connections. */
  async portForward(namespace: string, target: string, remotePort: number): Promise<PortForward> {
    const localPort = await freeLocalPort();
    const child = spawn(this.kubectl, [...this.prefix, '-n', namespace, 'port-forward', target, `${localPort}:${remotePort}`, '--address', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const close = () => {
      child.kill('SIGTERM');
    };
    try {
      await until(
        `port-forward to ${namespace}/${target} did not come up`,
        () => {
          if (child.exitCode !== null) throw new LabError(`port-forward to ${namespace}/${target} exited: ${output.trim()}`);
          return /Forwarding from/.test(output) ? true : undefined;
        },
        30_000,
        200,
      );
    } catch (error) {
      close();
      throw error;
    }
    return { url: `http://127.0.0.1:${localPort}`, port: localPort, close };
  }
}

export interface PortForward {
  url: string;
  port: number;
  close: () => void;
}

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
