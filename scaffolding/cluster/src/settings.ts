// The local cluster's fixed layout: names, addresses, paths. Every address is outside the private
// ranges (10/8, 172.16/12, 192.168/16). The node and its veth peer are a point-to-point pair in the
// documentation range 198.51.100.0/24 (TEST-NET-2): the host gains a route to exactly one address,
// the node's, and nothing else it reaches changes. Pods and services use the benchmarking range
// 198.18.0.0/15, routed only inside the node's network namespace. `up` refuses to start when an
// address is in use here (machines of this kind put themselves and their package mirrors in the
// other documentation ranges, 192.0.2.0/24 and 203.0.113.0/24).
import { join } from 'node:path';

export const NODE_NAME = 'qoslab-node';
export const CONTEXT = 'qoslab-local';

export const NETWORK = {
  /** The node's own network namespace: every component runs inside it. */
  netns: 'qoslab-node',
  hostInterface: 'qoslab0',
  nodeInterface: 'eth0',
  hostAddress: '198.51.100.1',
  nodeAddress: '198.51.100.2',
  clusterCidr: '198.18.0.0/16',
  podCidr: '198.18.0.0/24',
  serviceCidr: '198.19.0.0/20',
  apiServiceAddress: '198.19.0.1',
  dnsServiceAddress: '198.19.0.10',
  clusterDomain: 'cluster.local',
  bridge: 'cni0',
} as const;

export const PORTS = {
  apiServer: 6443,
  etcdClient: 2379,
  etcdPeer: 2380,
  kubelet: 10250,
  kubeletHealthz: 10248,
  controllerManager: 10257,
  scheduler: 10259,
  proxyHealthz: 10256,
  proxyMetrics: 10249,
  routerHealth: 20244,
} as const;

export interface Paths {
  /** Persistent state: configuration, certificates, etcd, kubelet and containerd data, logs. */
  state: string;
  /** Sockets and containerd's runtime state. */
  run: string;
  pki: string;
  config: string;
  logs: string;
  etcd: string;
  kubelet: string;
  containerdRoot: string;
  containerdState: string;
  containerdSocket: string;
  cniConfig: string;
  cniData: string;
  /** The admin kubeconfig, for kubectl and the tests. */
  kubeconfig: string;
  /** Host settings as they were before `up`, restored by `down`. */
  hostSettings: string;
}

export function paths(state = process.env.QOSLAB_CLUSTER_STATE_DIR ?? '/var/lib/qoslab-cluster', run = process.env.QOSLAB_CLUSTER_RUN_DIR ?? '/run/qoslab-cluster'): Paths {
  return {
    state,
    run,
    pki: join(state, 'pki'),
    config: join(state, 'config'),
    logs: join(state, 'logs'),
    etcd: join(state, 'etcd'),
    kubelet: join(state, 'kubelet'),
    containerdRoot: join(state, 'containerd'),
    containerdState: join(run, 'containerd'),
    containerdSocket: join(run, 'containerd', 'containerd.sock'),
    cniConfig: join(state, 'cni', 'net.d'),
    cniData: join(state, 'cni', 'ipam'),
    kubeconfig: join(state, 'admin.kubeconfig'),
    hostSettings: join(state, 'host-settings.json'),
  };
}

/** The cgroup `up` keeps the processes it starts in, so that `down` finds every one of them. */
export const CGROUP_NAME = 'qoslab-cluster';

/** containerd namespace the CRI plugin (and so the kubelet) uses. */
export const CRI_NAMESPACE = 'k8s.io';

/** The components `up` starts, in order; `down` stops them in reverse. */
export const COMPONENTS = [
  'containerd',
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kube-router',
] as const;
export type Component = (typeof COMPONENTS)[number];
