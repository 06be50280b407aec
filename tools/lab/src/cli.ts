#!/usr/bin/env node
/**
 * npm run lab -- <command>: the QoS workshop in the project's own Node, the same on macOS, Linux and
 * WSL2. Every command acts on the context in QOSLAB_CONTEXT, else on the workshop's kind cluster.
 *
 * Exit status: 0 done, 1 it could not be done (one line on stderr says why), 2 bad usage.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { attack } from './attack.js';
import { DEFAULT_OVERLAY, deploy, renderWithOverrides } from './deploy.js';
import { experiment, PROFILES, type Profile } from './experiment.js';
import { buildImages, loadImages, PROJECT_SERVICES, projectImage, pull, render, thirdPartyImages } from './images.js';
import { createCluster, deleteKindCluster } from './kind.js';
import { Kube, LabError, must } from './kube.js';
import { ConfigError } from './node-config.js';
import { repoRoot } from './repo.js';
import { teardown } from './teardown.js';

export const USAGE = `usage: npm run lab -- <command> [options]
  create-cluster            the workshop's kind cluster, with the pods' memory budget (QOSLAB_POD_MEMORY_MIB, default 5120)
  build-images [--load]     build the five service images (and load them into the cluster's node)
  load-images <image>...    load local images into the node (kind load, or QOSLAB_IMAGE_LOADER)
  prefetch                  pull every third-party image once and load it into the node
  bundle <file.tar>         save every image of the workshop into one archive (for a USB stick)
  load-bundle <file.tar>    docker load that archive and load its images into the node
  deploy [--overlay DIR]    namespaces, secrets, the overlay (default k8s/overlays/kind), rollouts
  experiment [--profile short|full]
                            the calibrated QoS experiment, then its report (qos report)
  attack [--json]           the attacker's moves against the hardening, and with each item off
  teardown                  delete the kind cluster (other clusters: the lab's namespaces)
environment: QOSLAB_CONTEXT (default kind-qoslab), QOSLAB_KUBECTL, QOSLAB_IMAGE_LOADER, NODE_IMAGE,
  OTELCOL_IMAGE, JAEGER_IMAGE, PROMETHEUS_IMAGE, GRAFANA_IMAGE, POSTGRES_IMAGE, K6_IMAGE (pinned mirrors)`;

class UsageError extends Error {}

const log = (line: string): void => {
  process.stderr.write(`lab: ${line}\n`);
};

function allImages(kube: Kube, overlay: string): string[] {
  return thirdPartyImages([...renderWithOverrides(kube, overlay), ...render(kube, join(repoRoot, 'k8s', 'experiment'))]);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        overlay: { type: 'string' },
        profile: { type: 'string' },
        load: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    const kube = Kube.fromEnv();
    const overlay = values.overlay === undefined ? DEFAULT_OVERLAY : resolve(values.overlay);
    const none = () => {
      if (positionals.length > 0) throw new UsageError(`${command} takes no arguments (got ${positionals[0]})`);
    };
    const one = (what: string): string => {
      if (positionals.length !== 1) throw new UsageError(`${command} needs exactly one ${what}`);
      return positionals[0]!;
    };
    switch (command) {
      case 'create-cluster':
        none();
        await createCluster(kube, log);
        return 0;
      case 'build-images': {
        none();
        const images = await buildImages(log);
        if (values.load) await loadImages(kube, images, log);
        return 0;
      }
      case 'load-images':
        if (positionals.length === 0) throw new UsageError('load-images needs at least one image');
        await loadImages(kube, positionals, log);
        return 0;
      case 'prefetch': {
        none();
        const images = allImages(kube, overlay);
        pull(images, log);
        await loadImages(kube, images, log);
        return 0;
      }
      case 'bundle': {
        const file = resolve(one('archive file'));
        const images = [...allImages(kube, overlay), ...PROJECT_SERVICES.map(projectImage)];
        log(`saving ${images.length} images into ${file}`);
        must('docker', ['save', '-o', file, ...images], { timeoutMs: 1_800_000 });
        log(`saved; on each laptop: npm run lab -- load-bundle ${file}`);
        return 0;
      }
      case 'load-bundle': {
        const file = resolve(one('archive file'));
        const loaded = must('docker', ['load', '-i', file], { timeoutMs: 1_800_000 })
          .split('\n')
          .map((line) => /^Loaded image: (\S+)$/.exec(line)?.[1])
          .filter((image): image is string => image !== undefined);
        await loadImages(kube, loaded, log);
        return 0;
      }
      case 'deploy':
        none();
        await deploy(kube, { overlay, log });
        return 0;
      case 'experiment': {
        none();
        const name = (values.profile ?? 'full') as Profile['name'];
        const profile = PROFILES[name];
        if (!profile) throw new UsageError(`--profile must be short or full, not ${values.profile}`);
        await experiment(kube, { profile, log });
        return 0;
      }
      case 'attack':
        none();
        return (await attack(kube, { log, json: values.json })) ? 0 : 1;
      case 'teardown':
        none();
        if (kube.isKind) deleteKindCluster(log);
        else await teardown(kube, overlay, log);
        return 0;
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`lab: ${(error as Error).message}; npm run lab -- help\n`);
      return 2;
    }
    if (error instanceof LabError || error instanceof ConfigError) {
      process.stderr.write(`lab: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`lab: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
