// A native stack (@qoslab/native-stack) for a test: free ports, so it runs beside `npm run stack`; data and logs
// in a scratch directory; no background traffic; metrics every second and fast span batches.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, ManagedProcess, type Ports, type Stack, type StackOptions, stackSpecs, startStack } from '@qoslab/native-stack';

const LOOPBACK = '127.0.0.1';

export interface TestStack {
  stack: Stack;
  ports: Ports;
  runDir: string;
  url(program: keyof Ports, path?: string): string;
  /** Everything the program wrote to its log so far (all its runs). */
  log(program: string): string;
  /** Adds a program of the stack that was left out of `only` (not started); stop() stops it too. */
  add(program: string): ManagedProcess;
  stop(): Promise<void>;
}

/**
 * The native stack on free ports with its data and logs in a scratch directory, without
 * the k6 traffic, metrics exported every second and fast span batches.
 */
export async function startTestStack(options: StackOptions = {}): Promise<TestStack> {
  const runDir = mkdtempSync(join(tmpdir(), 'qoslab-test-stack-'));
  const ports = await freePorts();
  const stackOptions: StackOptions = {
    traffic: false,
    metricExportIntervalMs: 1000,
    ...options,
    serviceEnv: { OTEL_BSP_SCHEDULE_DELAY: '200', ...options.serviceEnv },
    runDir,
    ports,
  };
  const stack = await startStack(stackOptions);
  return {
    stack,
    ports,
    runDir,
    url: (program, path = '') => `http://${LOOPBACK}:${ports[program]}${path}`,
    log: (program) => {
      try {
        return readFileSync(stack.process(program).logFile(), 'utf8');
      } catch {
        return '';
      }
    },
    add: (program) => {
      const [spec] = stackSpecs({ ...stackOptions, only: [program] });
      if (!spec) throw new Error(`no program ${program} in the stack`);
      const managed = new ManagedProcess(spec, join(runDir, 'logs'));
      stack.processes.set(program, managed);
      return managed;
    },
    stop: async () => {
      await stack.stop();
      if (process.env.QOSLAB_KEEP_RUN_DIR) process.stderr.write(`kept ${runDir}\n`);
      else rmSync(runDir, { recursive: true, force: true });
    },
  };
}
