import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { main } from './cli.js';
import { nameNodeEgress } from './deploy.js';
import { type Calibration, contentionPhase, cpuLoad, type NodeFacts, oomPhase, predictedSplit, pressurePhase, PROFILES, THROTTLE_FACTOR, throttlePhase } from './experiment.js';
import { imageOverrides, imagesOf, loaderFor, repositoryOf } from './images.js';
import { Kube, LabError } from './kube.js';
import { ConfigError, kindClusterConfig, kubeletPatch, kubeletSettings, memorySplit, nodeImageVersion, podMemoryMib } from './node-config.js';

const MIB = 1024 * 1024;
const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('the node settings of k8s/kind/cluster.yaml', () => {
  it('reserves the rest of the host so that the pods get exactly their budget', () => {
    const split = memorySplit(16_000, 5120);
    assert.equal(split.systemReservedMib + split.kubeReservedMib + split.podMib, 16_000);
    const patch = (parse(kindClusterConfig(split)) as { kubeadmConfigPatches: string[] }).kubeadmConfigPatches.map((p) => parse(p) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(patch.find((p) => p.kind === 'KubeletConfiguration')?.systemReserved.memory, `${split.systemReservedMib}Mi`);
  });

  it('refuses a budget that leaves the node under 1 GiB, and a budget that is not a number', () => {
    assert.throws(() => memorySplit(6000, 5120), ConfigError);
    assert.throws(() => podMemoryMib({ QOSLAB_POD_MEMORY_MIB: '5G' }), /must be a number of MiB/);
    assert.equal(podMemoryMib({}), 5120);
  });

  it("starts from kind's own defaults, then the kit's patch", () => {
    const settings = kubeletSettings(memorySplit(24_000, 4096));
    assert.equal(settings.imageGCHighThresholdPercent, 100);
    const hard = settings.evictionHard as Record<string, string>;
    assert.equal(hard['nodefs.available'], '0%');
    assert.equal(hard['memory.available'], (kubeletPatch().evictionHard as Record<string, string>)['memory.available']);
    assert.equal(settings.serverTLSBootstrap, true, 'a kubelet serving certificate the Collector can verify');
  });

  it('pins the kind node image at a 1.36 Kubernetes, the version the local cluster builds', () => {
    assert.match(nodeImageVersion(), /^v1\.36\.\d+$/);
  });
});

describe('images', () => {
  it('finds every image of the rendered objects', () => {
    const objects = [{ kind: 'Deployment', spec: { template: { spec: { containers: [{ image: 'b' }], initContainers: [{ image: 'a' }] } } } }, { kind: 'CronJob', spec: { jobTemplate: { spec: { template: { spec: { containers: [{ image: 'b' }] } } } } } }];
    assert.deepEqual(imagesOf(objects), ['a', 'b']);
  });

  it('takes mirror replacements pinned by digest only', () => {
    assert.deepEqual(imageOverrides({ OTELCOL_IMAGE: `mirror.example:5000/otel/col:1@${DIGEST}` }), [
      { variable: 'OTELCOL_IMAGE', repository: 'otel/opentelemetry-collector-contrib', newName: 'mirror.example:5000/otel/col', digest: DIGEST },
    ]);
    assert.throws(() => imageOverrides({ JAEGER_IMAGE: 'mirror.example/jaeger:latest' }), /must be pinned by digest/);
    assert.equal(repositoryOf(`localhost:5000/a/b:1.0@${DIGEST}`), 'localhost:5000/a/b');
  });

  it('loads into kind by kind load, into any other cluster only by the command it is given', () => {
    assert.deepEqual(loaderFor(new Kube('kind-qoslab'), {}), ['kind', ['load', 'docker-image', '--name', 'qoslab']]);
    assert.deepEqual(loaderFor(new Kube('other'), { QOSLAB_IMAGE_LOADER: 'npm run -s cluster -- load' }), ['npm', ['run', '-s', 'cluster', '--', 'load']]);
    assert.throws(() => loaderFor(new Kube('other'), {}), LabError);
  });
});

describe("the Collector's egress", () => {
  it('names exactly the kubelet and the API server endpoints', () => {
    const objects = [{ kind: 'NetworkPolicy', metadata: { name: 'otel-collector-node' }, spec: { egress: [] } }];
    nameNodeEgress(objects, { kubelet: '203.0.113.9', apiServer: [{ address: '203.0.113.9', port: 6443 }] });
    assert.deepEqual(objects[0]!.spec.egress, [
      { to: [{ ipBlock: { cidr: '203.0.113.9/32' } }], ports: [{ protocol: 'TCP', port: 10250 }] },
      { to: [{ ipBlock: { cidr: '203.0.113.9/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
    ]);
  });
});

describe('the calibrated experiment', () => {
  const calibration: Calibration = { units: 200, cpuMs: [90, 90, 90], msPerUnit: 0.45 };
  const facts = (cpus: number, allocatableMib: number, usedMib: number): NodeFacts => ({
    name: 'n',
    cpus,
    allocatableMilliCpu: cpus * 1000,
    requestedMilliCpu: 1500,
    burstableMilliCpu: 1000,
    allocatableMemoryBytes: allocatableMib * MIB,
    podsWorkingSetBytes: usedMib * MIB,
    workers: {
      guaranteed: { pod: 'g', workingSetBytes: 50 * MIB, memoryLimitBytes: 256 * MIB, memoryRequestBytes: 256 * MIB, cpuLimitMilli: 500, cpuRequestMilli: 500 },
      burstable: { pod: 'b', workingSetBytes: 50 * MIB, memoryLimitBytes: 512 * MIB, memoryRequestBytes: 128 * MIB, cpuLimitMilli: null, cpuRequestMilli: 250 },
      besteffort: { pod: 'e', workingSetBytes: 50 * MIB, memoryLimitBytes: null, memoryRequestBytes: 0, cpuLimitMilli: null, cpuRequestMilli: 0 },
    },
  });

  it("offers the Guaranteed worker THROTTLE_FACTOR times its limit, on a slow laptop and a fast one", () => {
    for (const msPerUnit of [0.2, 0.45, 1.5]) {
      const phase = throttlePhase(facts(8, 4864, 500), { ...calibration, msPerUnit }, PROFILES.short);
      const job = phase.jobs.find((j) => j.qosClass === 'guaranteed')!;
      const offered = (job.rate! * job.units! * msPerUnit) / 1000;
      assert.ok(Math.abs(offered / 0.5 - THROTTLE_FACTOR) < 0.05, `${msPerUnit} ms/unit: ${offered} CPU`);
    }
    assert.equal(cpuLoad(0.75, calibration).rate, 4);
  });

  it('predicts the one shared core by the cgroup weights: the Burstable QoS cgroup carries every Burstable request', () => {
    const split = predictedSplit(facts(2, 4864, 500));
    assert.ok(Math.abs(split.guaranteed - 512 / (512 + 1024 + 2)) < 1e-9);
    assert.ok(split.burstable > split.guaranteed);
    assert.ok(split.besteffort < 0.01);
    assert.ok(Math.abs(split.guaranteed + split.burstable + split.besteffort - 1) < 1e-9);
    assert.equal(contentionPhase(facts(8, 4864, 500), calibration, PROFILES.short).pinToCpu, 7);
  });

  it('holds more than the Guaranteed worker may, once', () => {
    const phase = oomPhase(facts(2, 4864, 500), PROFILES.short);
    const job = phase.jobs[0]!;
    assert.ok(50 * MIB + job.iterations! * job.mib! * MIB > 256 * MIB);
    assert.ok(job.holdMs! >= phase.durationS * 1000, 'held until the phase ends');
  });

  it('takes the pods past allocatable by less than the 256Mi before the kubepods limit, on any budget', () => {
    for (const [allocatable, used] of [[4864, 500], [4864, 2400], [12_000, 900], [3000, 1800]] as const) {
      const phase = pressurePhase(facts(2, allocatable, used), PROFILES.short);
      const held = phase.jobs.reduce((sum, j) => sum + j.iterations! * j.mib!, 0);
      const over = used + held - allocatable;
      assert.ok(over > 0 && over < 256 - 64, `budget ${allocatable} MiB, ${used} used: ${over} MiB past allocatable`);
      const slow = phase.jobs.at(-1)!;
      assert.equal(slow.mib, 32, 'the last stretch in small steps');
      const burstable = phase.jobs.find((j) => j.qosClass === 'burstable')!;
      const bHeld = 50 + burstable.iterations! * burstable.mib!;
      assert.ok(bHeld > 128 && bHeld < 512, `the Burstable worker over its request, under its limit: ${bHeld} MiB`);
    }
  });
});

describe('the lab command', () => {
  const capture = async (argv: string[]) => {
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      return { code: await main(argv), err: lines.join('') };
    } finally {
      process.stderr.write = write;
    }
  };

  it('answers bad usage with one line and exit 2', async () => {
    for (const argv of [[], ['frobnicate'], ['deploy', 'extra'], ['experiment', '--profile', 'huge'], ['deploy', '--nope']]) {
      const { code, err } = await capture(argv);
      assert.equal(code, 2, argv.join(' '));
      assert.equal(err.trimEnd().split('\n').length, 1, err);
      assert.match(err, /^lab: /);
    }
  });

  it('refuses to create a kind cluster for another context', async () => {
    const saved = process.env.QOSLAB_CONTEXT;
    process.env.QOSLAB_CONTEXT = 'production';
    try {
      const { code, err } = await capture(['create-cluster']);
      assert.equal(code, 1);
      assert.match(err, /^lab: create-cluster makes the workshop's kind cluster/);
    } finally {
      if (saved === undefined) delete process.env.QOSLAB_CONTEXT;
      else process.env.QOSLAB_CONTEXT = saved;
    }
  });
});
