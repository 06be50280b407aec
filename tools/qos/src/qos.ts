/**
 * What Kubernetes derives from a pod's requests and limits, ported from the v1.36 sources:
 *
 * - API defaulting (pkg/apis/core/v1/defaults.go SetDefaults_Pod, defaultPodRequests): a limit
 *   without a request becomes the request; pod-level requests default from the containers and the
 *   pod-level limits (PodLevelResources, on by default since 1.34).
 * - QoS class (pkg/apis/core/v1/helper/qos ComputePodQOS): only cpu and memory count, zero means
 *   unset, init containers count, pod-level resources replace the containers' when present.
 * - oom_score_adj (pkg/kubelet/qos/policy.go GetContainerOOMScoreAdjust).
 * - Container cgroup CPU (pkg/kubelet/kuberuntime calculateLinuxResources, pkg/kubelet/cm
 *   MilliCPUToShares / MilliCPUToQuota) and the pod cgroup (cm.ResourceConfigForPod).
 * - cgroup v2 cpu.weight: the OCI runtime converts the container's shares (opencontainers/cgroups
 *   ConvertCPUSharesToCgroupV2Value, quadratic since runc 1.3.2 / crun 1.23, linear before), while
 *   the kubelet converts the pod cgroup's shares itself with the linear formula (getCPUWeight).
 * - Sums over containers (k8s.io/component-helpers/resource AggregateContainerRequests/Limits):
 *   init containers count by their maximum, restartable init containers (sidecars) add up.
 */
import { ZERO, add, cmp, isZero, milliValue, sign, value, type Quantity } from './quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';
export type ResourceList = Map<string, Quantity>;

export interface ContainerInput {
  name: string;
  requests?: ResourceList;
  limits?: ResourceList;
  /** "Always" on an init container makes it a sidecar. */
  restartPolicy?: string;
}

export interface PodInput {
  containers: ContainerInput[];
  initContainers: ContainerInput[];
  /** spec.resources; undefined when the field is absent (nil in Go). */
  resources?: { requests?: ResourceList; limits?: ResourceList };
  priorityClassName?: string;
  /** spec.overhead (set by the RuntimeClass admission plugin). */
  overhead?: ResourceList;
}

const CPU = 'cpu';
const MEMORY = 'memory';
const HUGEPAGES_PREFIX = 'hugepages-';

export const SHARES_PER_CPU = 1024n;
export const MIN_SHARES = 2n;
export const MAX_SHARES = 262144n;
export const QUOTA_PERIOD = 100000n;
const MIN_QUOTA = 1000n;
const GUARANTEED_OOM_SCORE_ADJ = -997;
const BESTEFFORT_OOM_SCORE_ADJ = 1000;

const isQosResource = (name: string): boolean => name === CPU || name === MEMORY;
const isSupportedPodLevelResource = (name: string): boolean => isQosResource(name) || name.startsWith(HUGEPAGES_PREFIX);
/** core/v1 helper IsOvercommitAllowed: native resources that are not huge pages. */
const isOvercommitAllowed = (name: string): boolean =>
  (!name.includes('/') || name.startsWith('kubernetes.io/')) && !name.startsWith(HUGEPAGES_PREFIX);

const get = (list: ResourceList | undefined, name: string): Quantity => list?.get(name) ?? ZERO;

function addInto(list: ResourceList, more: ResourceList | undefined): void {
  for (const [name, quantity] of more ?? []) {
    const current = list.get(name);
    list.set(name, current === undefined ? quantity : add(current, quantity));
  }
}

function maxInto(list: ResourceList, more: ResourceList): void {
  for (const [name, quantity] of more) {
    const current = list.get(name);
    if (current === undefined || cmp(quantity, current) > 0) list.set(name, quantity);
  }
}

export const isSidecar = (container: ContainerInput): boolean => container.restartPolicy === 'Always';

/**
 * AggregateContainerRequests / AggregateContainerLimits: the containers' sum, raised to the largest
 * init-container phase (each init container plus the sidecars started before it). `visit` sees each
 * container's contribution as the helper's ContainerFn does.
 */
export function aggregateContainers(
  pod: PodInput,
  pick: (container: ContainerInput) => ResourceList | undefined,
  visit?: (list: ResourceList) => void,
): ResourceList {
  const total: ResourceList = new Map();
  for (const container of pod.containers) {
    const list = pick(container) ?? new Map<string, Quantity>();
    visit?.(list);
    addInto(total, list);
  }
  const sidecars: ResourceList = new Map();
  const initPhases: ResourceList = new Map();
  for (const container of pod.initContainers) {
    let list = pick(container) ?? new Map<string, Quantity>();
    if (isSidecar(container)) {
      addInto(total, list);
      addInto(sidecars, list);
      list = new Map(sidecars);
    } else {
      const phase: ResourceList = new Map();
      addInto(phase, list);
      addInto(phase, sidecars);
      list = phase;
    }
    visit?.(list);
    maxInto(initPhases, list);
  }
  maxInto(total, initPhases);
  return total;
}

/** The pod as the API server stores it: SetDefaults_Pod's resource defaulting applied. */
export function applyDefaults(pod: PodInput): PodInput {
  const defaultContainer = (container: ContainerInput): ContainerInput => {
    if (container.limits === undefined) return container;
    const requests: ResourceList = new Map(container.requests ?? []);
    for (const [name, limit] of container.limits) {
      if (!requests.has(name)) requests.set(name, limit);
    }
    return { ...container, requests };
  };
  const defaulted: PodInput = {
    ...pod,
    containers: pod.containers.map(defaultContainer),
    initContainers: pod.initContainers.map(defaultContainer),
  };
  const resources = pod.resources;
  if (resources === undefined || resources.limits === undefined || resources.limits.size === 0) return defaulted;
  const podRequests: ResourceList = new Map(resources.requests ?? []);
  const fromContainers = aggregateContainers(defaulted, (c) => c.requests);
  for (const [name, quantity] of fromContainers) {
    if (!podRequests.has(name) && isSupportedPodLevelResource(name) && isOvercommitAllowed(name)) podRequests.set(name, quantity);
  }
  for (const [name, limit] of resources.limits) {
    if (!podRequests.has(name) && isSupportedPodLevelResource(name)) podRequests.set(name, limit);
  }
  return { ...defaulted, resources: podRequests.size > 0 ? { ...resources, requests: podRequests } : resources };
}

export interface QosResult {
  qosClass: QosClass;
  /** Why, in one sentence. */
  reason: string;
}

/** ComputePodQOS, on a pod that has been through applyDefaults. */
export function computeQos(pod: PodInput): QosResult {
  const requests: ResourceList = new Map();
  const limits: ResourceList = new Map();
  const collect = (into: ResourceList, list: ResourceList | undefined): Set<string> => {
    const found = new Set<string>();
    for (const [name, quantity] of list ?? []) {
      if (!isQosResource(name) || sign(quantity) !== 1) continue;
      found.add(name);
      const current = into.get(name);
      into.set(name, current === undefined ? quantity : add(current, quantity));
    }
    return found;
  };
  let isGuaranteed = true;
  let notGuaranteed = '';
  const podLevel = pod.resources !== undefined;
  if (podLevel) {
    const podResources = pod.resources as NonNullable<PodInput['resources']>;
    collect(requests, podResources.requests);
    if (podResources.limits !== undefined && podResources.limits.size > 0) {
      const found = collect(limits, podResources.limits);
      if (!found.has(CPU) || !found.has(MEMORY)) {
        isGuaranteed = false;
        notGuaranteed = `the pod-level limits do not set both cpu and memory`;
      }
    }
  } else {
    for (const container of [...pod.containers, ...pod.initContainers]) {
      collect(requests, container.requests);
      const found = collect(limits, container.limits);
      if (isGuaranteed && (!found.has(CPU) || !found.has(MEMORY))) {
        isGuaranteed = false;
        const missing = [CPU, MEMORY].filter((name) => !found.has(name)).join(' and ');
        notGuaranteed = `container "${container.name}" has no ${missing} limit`;
      }
    }
  }
  const scope = podLevel ? 'the pod-level resources (spec.resources) decide; containers are ignored: ' : '';
  if (requests.size === 0 && limits.size === 0) {
    return {
      qosClass: 'BestEffort',
      reason: podLevel
        ? `${scope}no cpu or memory request or limit above zero`
        : 'no container sets a cpu or memory request or limit above zero',
    };
  }
  if (isGuaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (limit === undefined || cmp(limit, request) !== 0) {
        isGuaranteed = false;
        notGuaranteed = `the ${name} requests (${describe(name, request)}) differ from the ${name} limits (${limit === undefined ? 'none' : describe(name, limit)})`;
        break;
      }
    }
  }
  if (isGuaranteed && requests.size === limits.size) {
    return {
      qosClass: 'Guaranteed',
      reason: podLevel ? `${scope}cpu and memory limits equal the requests` : 'every container limits cpu and memory, and the requests equal the limits',
    };
  }
  if (isGuaranteed) notGuaranteed = 'a limit is set without a matching request';
  return { qosClass: 'Burstable', reason: `${scope}${notGuaranteed}` };
}

function describe(name: string, quantity: Quantity): string {
  return name === CPU ? `${milliValue(quantity)}m` : `${value(quantity)} bytes`;
}

/** IsPodLevelResourcesSet / IsPodLevelRequestsSet / IsPodLevelLimitsSet. */
function podLevelSet(list: ResourceList | undefined): boolean {
  for (const name of list?.keys() ?? []) if (isSupportedPodLevelResource(name)) return true;
  return false;
}

const isPodLevelResourcesSet = (pod: PodInput): boolean =>
  podLevelSet(pod.resources?.requests) || podLevelSet(pod.resources?.limits);

/** types.IsNodeCriticalPod for pods from the API: the Priority admission plugin gives
 * system-node-critical a priority above SystemCriticalPriority, which makes it critical. */
const isNodeCritical = (pod: PodInput): boolean => pod.priorityClassName === 'system-node-critical';

/** GetContainerOOMScoreAdjust for a defaulted pod. */
export function oomScoreAdjust(pod: PodInput, container: ContainerInput, qosClass: QosClass, memoryCapacity: bigint): number {
  if (isNodeCritical(pod)) return GUARANTEED_OOM_SCORE_ADJ;
  if (qosClass === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qosClass === 'BestEffort') return BESTEFFORT_OOM_SCORE_ADJ;

  const containerRequest = value(get(container.requests, MEMORY));
  const podLevelRequests = podLevelSet(pod.resources?.requests);
  let remainingPerContainer = 0n;
  let adjust: bigint;
  if (podLevelRequests) {
    remainingPerContainer = remainingPodMemoryPerContainer(pod);
    adjust = 1000n - (1000n * (containerRequest + remainingPerContainer)) / memoryCapacity;
  } else {
    adjust = 1000n - (1000n * containerRequest) / memoryCapacity;
  }
  if (isSidecar(container) && pod.initContainers.includes(container) && pod.containers.length > 0) {
    let minimum = pod.containers
      .map((c) => value(get(c.requests, MEMORY)))
      .reduce((a, b) => (b < a ? b : a));
    if (podLevelRequests) minimum += remainingPerContainer;
    const minimumAdjust = 1000n - (1000n * minimum) / memoryCapacity;
    if (adjust > minimumAdjust) adjust = minimumAdjust;
  }
  if (adjust < BigInt(1000 + GUARANTEED_OOM_SCORE_ADJ)) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adjust === BigInt(BESTEFFORT_OOM_SCORE_ADJ)) return BESTEFFORT_OOM_SCORE_ADJ - 1;
  return Number(adjust);
}

function remainingPodMemoryPerContainer(pod: PodInput): bigint {
  const podRequest = get(pod.resources?.requests, MEMORY);
  if (isZero(podRequest)) return 0n;
  const containers = BigInt(pod.containers.length + pod.initContainers.length);
  const aggregated = aggregateContainers(pod, (c) => c.requests);
  return (value(podRequest) - value(get(aggregated, MEMORY))) / containers;
}

export function milliCpuToShares(milliCpu: bigint): bigint {
  if (milliCpu === 0n) return MIN_SHARES;
  const shares = (milliCpu * SHARES_PER_CPU) / 1000n;
  if (shares < MIN_SHARES) return MIN_SHARES;
  if (shares > MAX_SHARES) return MAX_SHARES;
  return shares;
}

/** CFS quota in microseconds per period; 0 means no quota (cpu.max "max"). */
export function milliCpuToQuota(milliCpu: bigint, period: bigint = QUOTA_PERIOD): bigint {
  if (milliCpu === 0n) return 0n;
  const quota = (milliCpu * period) / 1000n;
  return quota < MIN_QUOTA ? MIN_QUOTA : quota;
}

/**
 * cpu.weight the OCI runtime writes for a container (runc >= 1.3.2, crun >= 1.23): a quadratic in
 * log2(shares) that maps 2 -> 1, 1024 -> 100 and 262144 -> 10000. Checked equal to the Go function
 * for every shares value from 0 to 262145.
 */
export function sharesToWeight(shares: bigint): bigint {
  if (shares === 0n) return 0n;
  if (shares <= MIN_SHARES) return 1n;
  if (shares >= MAX_SHARES) return 10000n;
  const l = Math.log2(Number(shares));
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return BigInt(Math.ceil(Math.pow(10, exponent)));
}

/** The linear conversion: older OCI runtimes for containers, and the kubelet for pod cgroups. */
export function sharesToWeightLinear(shares: bigint): bigint {
  if (shares >= MAX_SHARES) return 10000n;
  return 1n + ((shares - 2n) * 9999n) / 262142n;
}

export interface CgroupCpu {
  /** cgroup v1 cpu.shares. */
  shares: bigint;
  /** cgroup v2 cpu.weight. */
  weight: bigint;
  /** cpu.max quota in microseconds, or undefined for "max" (no limit). */
  quota?: bigint;
  period: bigint;
  /** memory.max in bytes, or undefined for "max". */
  memoryMax?: bigint;
}

export interface ContainerCgroup extends CgroupCpu {
  /** cpu.weight with the linear formula of runc < 1.3.2 and crun < 1.23. */
  weightLegacy: bigint;
}

/** calculateLinuxResources for one container of a defaulted pod (CFS quota enforced, the default). */
export function containerCgroup(pod: PodInput, container: ContainerInput): ContainerCgroup {
  const podLevel = isPodLevelResourcesSet(pod);
  const limitOf = (name: string): Quantity => {
    const own = get(container.limits, name);
    return podLevel && isZero(own) ? get(pod.resources?.limits, name) : own;
  };
  const cpuLimit = limitOf(CPU);
  const memoryLimit = limitOf(MEMORY);
  const cpuRequest = container.requests?.get(CPU);
  const shares = milliCpuToShares(milliValue(cpuRequest ?? cpuLimit));
  const quota = milliCpuToQuota(milliValue(cpuLimit));
  const memory = value(memoryLimit);
  return {
    shares,
    weight: sharesToWeight(shares),
    weightLegacy: sharesToWeightLinear(shares),
    quota: quota === 0n ? undefined : quota,
    period: QUOTA_PERIOD,
    memoryMax: memory === 0n ? undefined : memory,
  };
}

/** ResourceConfigForPod: the pod-level cgroup (kubepods/<class>/pod<uid>) of a defaulted pod. */
export function podCgroup(pod: PodInput, qosClass: QosClass): CgroupCpu {
  if (qosClass === 'BestEffort') {
    return { shares: MIN_SHARES, weight: sharesToWeightLinear(MIN_SHARES), period: QUOTA_PERIOD };
  }
  const podLevel = isPodLevelResourcesSet(pod);
  const requests = aggregateContainers(pod, (c) => c.requests);
  if (podLevelSet(pod.resources?.requests)) {
    for (const [name, quantity] of pod.resources?.requests ?? []) {
      if (isSupportedPodLevelResource(name)) requests.set(name, quantity);
    }
  }
  addInto(requests, pod.overhead);

  let cpuLimitsDeclared = true;
  let memoryLimitsDeclared = true;
  const limits = aggregateContainers(
    pod,
    (c) => c.limits,
    (list) => {
      if (isZero(get(list, CPU))) cpuLimitsDeclared = false;
      if (isZero(get(list, MEMORY))) memoryLimitsDeclared = false;
    },
  );
  if (podLevel) {
    for (const [name, quantity] of pod.resources?.limits ?? []) {
      if (isSupportedPodLevelResource(name)) limits.set(name, quantity);
    }
    if (!isZero(get(pod.resources?.limits, CPU))) cpuLimitsDeclared = true;
    if (!isZero(get(pod.resources?.limits, MEMORY))) memoryLimitsDeclared = true;
  }
  for (const [name, quantity] of pod.overhead ?? []) {
    const current = limits.get(name);
    if (current !== undefined && !isZero(current)) limits.set(name, add(current, quantity));
  }

  const shares = milliCpuToShares(milliValue(get(requests, CPU)));
  const quota = milliCpuToQuota(milliValue(get(limits, CPU)));
  const memory = value(get(limits, MEMORY));
  const guaranteed = qosClass === 'Guaranteed';
  return {
    shares,
    weight: sharesToWeightLinear(shares),
    quota: (guaranteed || cpuLimitsDeclared) && quota !== 0n ? quota : undefined,
    period: QUOTA_PERIOD,
    memoryMax: (guaranteed || memoryLimitsDeclared) && memory !== 0n ? memory : undefined,
  };
}
