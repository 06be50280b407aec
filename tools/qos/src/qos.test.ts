import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuantity } from './quantity.js';
import {
  applyDefaults,
  computeQos,
  containerCgroup,
  milliCpuToQuota,
  milliCpuToShares,
  oomScoreAdjust,
  podCgroup,
  sharesToWeight,
  sharesToWeightLinear,
  type ContainerInput,
  type PodInput,
  type ResourceList,
} from './qos.js';

const list = (entries: Record<string, string>): ResourceList => new Map(Object.entries(entries).map(([k, v]) => [k, parseQuantity(v)]));
const c = (name: string, requests?: Record<string, string>, limits?: Record<string, string>, restartPolicy?: string): ContainerInput => {
  const container: ContainerInput = { name };
  if (requests) container.requests = list(requests);
  if (limits) container.limits = list(limits);
  if (restartPolicy) container.restartPolicy = restartPolicy;
  return container;
};
const pod = (containers: ContainerInput[], extra: Partial<PodInput> = {}): PodInput => ({ containers, initContainers: [], ...extra });
const classOf = (p: PodInput): string => computeQos(applyDefaults(p)).qosClass;
const GI = 1024n ** 3n;
const MI = 1024n ** 2n;

describe('QoS class (ComputePodQOS)', () => {
  it('is BestEffort without requests or limits', () => {
    assert.equal(classOf(pod([c('a'), c('b')])), 'BestEffort');
  });

  it('counts only cpu and memory', () => {
    assert.equal(classOf(pod([c('a', { 'ephemeral-storage': '1Gi' }, { 'ephemeral-storage': '2Gi', 'nvidia.com/gpu': '1' })])), 'BestEffort');
    assert.equal(
      classOf(pod([c('a', { cpu: '1', memory: '1Gi', 'ephemeral-storage': '1Gi' }, { cpu: '1', memory: '1Gi', 'ephemeral-storage': '4Gi' })])),
      'Guaranteed',
      'a different request and limit of another resource does not break Guaranteed',
    );
  });

  it('treats zero as unset', () => {
    assert.equal(classOf(pod([c('a', { cpu: '0', memory: '0' })])), 'BestEffort');
    assert.equal(classOf(pod([c('a', { cpu: '1', memory: '1Gi' }, { cpu: '0', memory: '1Gi' })])), 'Burstable', 'a zero cpu limit is no cpu limit');
  });

  it('is Guaranteed when limits are set and requests default to them', () => {
    assert.equal(classOf(pod([c('a', undefined, { cpu: '500m', memory: '256Mi' })])), 'Guaranteed');
    assert.equal(classOf(pod([c('a', { cpu: '0.5' }, { cpu: '500m', memory: '256Mi' })])), 'Guaranteed', '0.5 equals 500m exactly');
  });

  it('is Burstable when a request is below its limit or a limit is missing', () => {
    assert.equal(classOf(pod([c('a', { cpu: '250m', memory: '128Mi' }, { cpu: '500m', memory: '128Mi' })])), 'Burstable');
    assert.equal(classOf(pod([c('a', { cpu: '250m', memory: '128Mi' }, { memory: '128Mi' })])), 'Burstable');
    assert.equal(classOf(pod([c('a', { cpu: '100m' })])), 'Burstable');
    assert.equal(
      classOf(pod([c('a', undefined, { cpu: '1', memory: '1Gi' }), c('b')])),
      'Burstable',
      'every container must be limited',
    );
  });

  it('counts init containers', () => {
    const main = c('main', undefined, { cpu: '1', memory: '1Gi' });
    assert.equal(classOf(pod([main], { initContainers: [c('init')] })), 'Burstable', 'an init container without limits');
    assert.equal(classOf(pod([main], { initContainers: [c('init', undefined, { cpu: '100m', memory: '64Mi' })] })), 'Guaranteed');
    assert.equal(classOf(pod([c('main')], { initContainers: [c('init', { memory: '64Mi' })] })), 'Burstable', 'requests in init containers alone');
  });

  it('lets pod-level resources decide when spec.resources is set', () => {
    assert.equal(classOf(pod([c('a'), c('b')], { resources: { limits: list({ cpu: '1', memory: '1Gi' }) } })), 'Guaranteed');
    assert.equal(
      classOf(pod([c('a', undefined, { cpu: '1', memory: '1Gi' })], { resources: { requests: list({ cpu: '1', memory: '1Gi' }) } })),
      'Burstable',
      'pod-level requests without limits, whatever the containers say',
    );
    assert.equal(classOf(pod([c('a', undefined, { cpu: '1', memory: '1Gi' })], { resources: {} })), 'BestEffort', 'an empty spec.resources still replaces the containers');
    assert.equal(classOf(pod([c('a')], { resources: { limits: list({ memory: '1Gi' }) } })), 'Burstable', 'pod-level limits must cover cpu and memory');
  });
});

describe('API defaulting (SetDefaults_Pod)', () => {
  it('copies limits into missing requests only', () => {
    const p = applyDefaults(pod([c('a', { cpu: '100m' }, { cpu: '1', memory: '1Gi' })]));
    const requests = p.containers[0]?.requests;
    assert.equal(requests?.get('cpu')?.text, '100m');
    assert.equal(requests?.get('memory')?.text, '1Gi');
  });

  it('defaults pod-level requests from the containers, then from the pod-level limits', () => {
    const p = applyDefaults(pod([c('a', { cpu: '100m' }), c('b', { cpu: '150m' })], { resources: { limits: list({ cpu: '1', memory: '1Gi' }) } }));
    assert.equal(p.resources?.requests?.get('cpu')?.nanos, 250_000_000n);
    assert.equal(p.resources?.requests?.get('memory')?.text, '1Gi');
    assert.equal(computeQos(p).qosClass, 'Burstable');
  });

  it('leaves pod-level requests alone without pod-level limits', () => {
    const p = applyDefaults(pod([c('a', { cpu: '100m' })], { resources: { requests: list({ memory: '64Mi' }) } }));
    assert.equal(p.resources?.requests?.has('cpu'), false);
  });
});

describe('oom_score_adj (GetContainerOOMScoreAdjust)', () => {
  const adj = (p: PodInput, index = 0, capacity = 8n * GI, init = false): number => {
    const d = applyDefaults(p);
    const container = (init ? d.initContainers : d.containers)[index] as ContainerInput;
    return oomScoreAdjust(d, container, computeQos(d).qosClass, capacity);
  };

  it('is -997 for Guaranteed and 1000 for BestEffort', () => {
    assert.equal(adj(pod([c('a', undefined, { cpu: '1', memory: '1Gi' })])), -997);
    assert.equal(adj(pod([c('a')])), 1000);
  });

  it('is 1000 - 1000 * request / node memory for Burstable, in integer arithmetic', () => {
    assert.equal(adj(pod([c('a', { memory: '128Mi' }, { memory: '512Mi' })])), 985, '1000 - 15 (15.625 truncated)');
    assert.equal(adj(pod([c('a', { memory: '1Gi' })]), 0, 4n * GI), 750);
    assert.equal(adj(pod([c('a', { memory: '1Gi' })]), 0, 16n * GI), 938);
  });

  it('keeps Burstable between Guaranteed and BestEffort', () => {
    assert.equal(adj(pod([c('a', { cpu: '100m' })])), 999, 'no memory request gives 1000, lowered to 999');
    assert.equal(adj(pod([c('a', { memory: '8Gi', cpu: '1' }, { memory: '16Gi' })])), 3, 'a request of all node memory is raised to 3');
  });

  it('gives a node-critical pod -997 whatever its class', () => {
    assert.equal(adj(pod([c('a')], { priorityClassName: 'system-node-critical' })), -997);
    assert.equal(adj(pod([c('a')], { priorityClassName: 'system-cluster-critical' })), 1000);
  });

  it('gives a sidecar no better score than the smallest regular container', () => {
    const p = pod([c('app', { memory: '1Gi' })], { initContainers: [c('proxy', { memory: '64Mi' }, undefined, 'Always')] });
    assert.equal(adj(p, 0, 8n * GI, true), adj(p, 0), 'the sidecar gets the app container score (875)');
    assert.equal(adj(p, 0), 875);
  });

  it('shares unassigned pod-level memory requests among all containers', () => {
    const p = pod([c('a', { memory: '128Mi' }), c('b', { memory: '128Mi' })], { resources: { requests: list({ memory: '1Gi' }) } });
    // remaining = (1Gi - 256Mi) / 2 = 384Mi; 1000 - 1000 * 512Mi / 8Gi = 937.5 -> 938
    assert.equal(adj(p), 938);
  });
});

describe('cgroup CPU settings', () => {
  it('converts millicores to shares like MilliCPUToShares', () => {
    assert.equal(milliCpuToShares(0n), 2n);
    assert.equal(milliCpuToShares(1n), 2n);
    assert.equal(milliCpuToShares(100n), 102n);
    assert.equal(milliCpuToShares(250n), 256n);
    assert.equal(milliCpuToShares(1000n), 1024n);
    assert.equal(milliCpuToShares(300_000n), 262_144n);
  });

  it('converts millicores to a CFS quota like MilliCPUToQuota', () => {
    assert.equal(milliCpuToQuota(0n), 0n, 'no limit, no quota');
    assert.equal(milliCpuToQuota(5n), 1000n, 'at least 1ms');
    assert.equal(milliCpuToQuota(250n), 25_000n);
    assert.equal(milliCpuToQuota(1500n), 150_000n);
  });

  it('converts shares to cgroup v2 weight with the runtime formula (values from the Go function)', () => {
    const golden: [bigint, bigint][] = [[0n, 0n], [2n, 1n], [3n, 2n], [10n, 4n], [51n, 11n], [102n, 17n], [256n, 35n], [512n, 59n], [1024n, 100n], [2048n, 174n], [4096n, 303n], [262_143n, 10_000n], [262_144n, 10_000n]];
    for (const [shares, weight] of golden) assert.equal(sharesToWeight(shares), weight, `shares ${shares}`);
  });

  it('keeps the linear formula of older runtimes and of the kubelet pod cgroup', () => {
    assert.equal(sharesToWeightLinear(2n), 1n);
    assert.equal(sharesToWeightLinear(1024n), 39n);
    assert.equal(sharesToWeightLinear(262_144n), 10_000n);
  });

  it('derives container settings from the defaulted request and limit', () => {
    const none = containerCgroup(applyDefaults(pod([c('a')])), c('a'));
    assert.deepEqual([none.shares, none.quota, none.memoryMax], [2n, undefined, undefined]);

    const burstable = applyDefaults(pod([c('a', { cpu: '250m', memory: '128Mi' }, { memory: '512Mi' })]));
    const b = containerCgroup(burstable, burstable.containers[0] as ContainerInput);
    assert.deepEqual([b.shares, b.weight, b.quota, b.memoryMax], [256n, 35n, undefined, 512n * MI]);

    const guaranteed = applyDefaults(pod([c('a', undefined, { cpu: '500m', memory: '256Mi' })]));
    const g = containerCgroup(guaranteed, guaranteed.containers[0] as ContainerInput);
    assert.deepEqual([g.shares, g.quota, g.period, g.memoryMax], [512n, 50_000n, 100_000n, 256n * MI]);
  });

  it('uses the pod-level limit for a container without its own', () => {
    const p = applyDefaults(pod([c('a', { cpu: '100m' })], { resources: { limits: list({ cpu: '2', memory: '1Gi' }) } }));
    const a = containerCgroup(p, p.containers[0] as ContainerInput);
    assert.equal(a.quota, 200_000n);
    assert.equal(a.memoryMax, GI);
    assert.equal(a.shares, 102n, 'shares still come from the container request');
  });

  it('builds the pod cgroup like ResourceConfigForPod', () => {
    const g = applyDefaults(pod([c('a', undefined, { cpu: '500m', memory: '256Mi' }), c('b', undefined, { cpu: '250m', memory: '64Mi' })]));
    const pg = podCgroup(g, 'Guaranteed');
    assert.deepEqual([pg.shares, pg.weight, pg.quota, pg.memoryMax], [768n, 30n, 75_000n, 320n * MI]);

    const b = applyDefaults(pod([c('a', { cpu: '250m', memory: '128Mi' }, { memory: '512Mi' }), c('b', undefined, { cpu: '1', memory: '64Mi' })]));
    const pb = podCgroup(b, 'Burstable');
    assert.equal(pb.quota, undefined, 'one container without a CPU limit leaves the pod without a quota');
    assert.equal(pb.memoryMax, 576n * MI, 'every container limits memory');

    const pe = podCgroup(applyDefaults(pod([c('a')])), 'BestEffort');
    assert.deepEqual([pe.shares, pe.weight, pe.quota, pe.memoryMax], [2n, 1n, undefined, undefined]);
  });

  it('sizes the pod by the larger of its containers and its init containers', () => {
    const p = applyDefaults(pod([c('a', { cpu: '100m', memory: '64Mi' })], { initContainers: [c('migrate', { cpu: '1', memory: '32Mi' })] }));
    assert.equal(podCgroup(p, 'Burstable').shares, 1024n, 'the init container needs 1 CPU while it runs');
  });
});
