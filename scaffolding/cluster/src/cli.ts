#!/usr/bin/env node
/**
 * npm run cluster -- <command>
 *
 *   up                 start the single-node cluster (builds what the tool cache lacks first)
 *   down [--purge]     stop it; no process, mount, namespace, interface or cgroup remains, host
 *                      settings are restored; --purge also drops the imported images
 *   status [--json]    what runs, and whether the node is Ready
 *   load <image|archive>...   images into the node: `docker save` or OCI archives, or image
 *                      references that the local Docker engine has
 *   kubeconfig         the admin kubeconfig's path
 *
 * Exit status: 0 done, 1 it could not be done (one line on stderr says why), 2 bad usage.
 */
import { down, load, status, up } from './cluster';
import { LabError } from '@qoslab/lab';
import { paths } from './settings';

export const USAGE = `usage: npm run cluster -- up | down [--purge] | status [--json] | load <image|archive>... | kubeconfig`;

class UsageError extends Error {}

const log = (line: string): void => {
  process.stderr.write(`cluster: ${line}\n`);
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((arg) => arg.startsWith('-')));
  const operands = rest.filter((arg) => !arg.startsWith('-'));
  const allow = (...known: string[]) => {
    for (const flag of flags) if (!known.includes(flag)) throw new UsageError(`unknown option ${flag} for ${command}`);
  };
  try {
    switch (command) {
      case 'up':
        allow();
        await up({ log });
        return 0;
      case 'down':
        allow('--purge');
        await down({ log, purge: flags.has('--purge') });
        return 0;
      case 'status': {
        allow('--json');
        const s = status();
        if (flags.has('--json')) process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
        else {
          for (const [name, pid] of Object.entries(s.components)) process.stdout.write(`${name.padEnd(24)} ${pid === undefined ? 'not running' : `pid ${pid}`}\n`);
          process.stdout.write(`node                     ${s.node ? `${s.node.ready ? 'Ready' : 'NotReady'} (${s.node.kubeletVersion}), allocatable memory ${s.node.allocatableMemory}` : 'absent'}\n`);
          if (s.up) process.stdout.write(`kubeconfig               ${s.kubeconfig}\n`);
        }
        return s.up ? 0 : 1;
      }
      case 'load':
        allow();
        if (operands.length === 0) throw new UsageError('load needs at least one image reference or archive');
        load(operands, log, (line) => process.stdout.write(`${line}\n`));
        return 0;
      case 'kubeconfig':
        allow();
        process.stdout.write(`${paths().kubeconfig}\n`);
        return 0;
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`cluster: ${error.message}; ${USAGE}\n`);
      return 2;
    }
    if (error instanceof LabError) {
      process.stderr.write(`cluster: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`cluster: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
