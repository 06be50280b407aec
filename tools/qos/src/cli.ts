#!/usr/bin/env node
/**
 * qos explain [--node-memory 8Gi] [--json] [--check] <file|dir|->...
 * qos report [--json] [--jaeger-ui URL] <run-dir>
 *
 * Exit status: 0 done, 1 `--check` found a template whose class differs from its annotation,
 * 2 bad input or usage (one line on stderr).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXPECTED_CLASS_ANNOTATION, explain, formatExplain } from './explain.js';
import { InputError, podTemplates, readManifests } from './manifests.js';
import { QuantityError, parseQuantity, value } from './quantity.js';
import { buildFindings, buildReport, formatFindings, formatReport, readRun } from './report.js';

export const USAGE = `usage:
  qos explain [--node-memory 8Gi] [--json] [--check] <file|dir|->...
      QoS class, oom_score_adj and cgroup CPU/memory settings of every pod template
      (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob,
      PodTemplate) in YAML/JSON manifests, kubectl kustomize output or Lists.
      --check  exit 1 unless every template carries the annotation
               ${EXPECTED_CLASS_ANNOTATION} and has that class
  qos report [--json] [--jaeger-ui http://localhost:16686] <run-dir>
      the QoS experiment's table from a run directory of npm run lab -- experiment`;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => string;
}

const defaultIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: () => readFileSync(0, 'utf8'),
};

const json = (data: unknown): string => `${JSON.stringify(data, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`;

function runExplain(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'node-memory': { type: 'string', default: '8Gi' },
      json: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) throw new InputError('explain needs at least one file, directory or - (stdin)');
  let nodeMemory;
  try {
    nodeMemory = parseQuantity(values['node-memory']);
  } catch (error) {
    throw new InputError(`--node-memory: ${(error as Error).message}`);
  }
  if (value(nodeMemory) <= 0n) throw new InputError('--node-memory must be above zero');
  const objects = readManifests(positionals, io.readStdin);
  if (objects.length === 0) throw new InputError('no Kubernetes objects in the input');
  const templates = podTemplates(objects);
  if (templates.length === 0) {
    const kinds = [...new Set(objects.map((o) => String(o.object.kind)))].sort().join(', ');
    throw new InputError(`no workloads with a pod template in the input (found only: ${kinds})`);
  }
  const report = explain(templates, nodeMemory);
  io.stdout(values.json ? json(report) : formatExplain(report));
  if (values.check) {
    const wrong = report.templates.filter((t) => t.matchesExpected !== true);
    for (const t of wrong) {
      const where = `${t.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
      io.stderr(
        t.expectedClass === undefined
          ? `qos: ${where} has no ${EXPECTED_CLASS_ANNOTATION} annotation (it is ${t.qosClass})\n`
          : `qos: ${where} is ${t.qosClass}, annotated ${t.expectedClass}\n`,
      );
    }
    if (wrong.length > 0) return 1;
  }
  return 0;
}

function runReport(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'jaeger-ui': { type: 'string', default: 'http://localhost:16686' },
    },
  });
  if (positionals.length !== 1) throw new InputError('report needs exactly one run directory');
  const run = readRun(positionals[0] as string);
  const rows = buildReport(run, values['jaeger-ui']);
  const findings = buildFindings(run);
  io.stdout(values.json ? json({ rows, findings }) : formatReport(rows) + formatFindings(findings, rows));
  return 0;
}

export function main(argv: string[], io: Io = defaultIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'explain':
        return runExplain(rest, io);
      case 'report':
        return runReport(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new InputError('no command given (explain or report); qos --help shows the usage');
      default:
        throw new InputError(`unknown command "${command}" (explain or report); qos --help shows the usage`);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof InputError || error instanceof QuantityError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(`qos: ${(error as Error).message.split('\n')[0]}\n`);
      return 2;
    }
    io.stderr(`qos: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
