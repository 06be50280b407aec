// What each component is started with: configuration files and command lines. Everything runs in the
// node's network namespace; only the API server's address (on the veth) is reachable from the host.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { kubeconfig } from './pki';
import { type Component, NETWORK, NODE_NAME, PORTS, type Paths } from './settings';

export interface Binaries {
  etcd: string;
  containerd: string;
  'kube-apiserver': string;
  'kube-controller-manager': string;
  'kube-scheduler': string;
  kubelet: string;
  'kube-proxy': string;
  'kube-router': string;
}

export interface ComponentSpec {
  name: Component;
  command: string;
  args: string[];
  /** Environment beyond PATH. */
  env?: Record<string, string>;
}

export interface NodeOptions {
  /** The kubelet's settings from k8s/kind/cluster.yaml (memory reservations, eviction), as kind applies them. */
  kubelet: Record<string, unknown>;
  /** Whether this machine lets processes lower oom_score_adj (CAP_SYS_RESOURCE in the bounding set). */
  canLowerOomScoreAdj: boolean;
  /** cgroupfs parent of all pod cgroups. */
  cgroupRoot: string;
  sandboxImage: string;
}

export function containerdConfig(p: Paths, options: NodeOptions): string {
  // TOML written by hand: containerd 1.6 reads version 2 of its configuration.
  return `version = 2
root = "${p.containerdRoot}"
state = "${p.containerdState}"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${p.containerdSocket}"

[ttrpc]
  address = "${p.containerdSocket}.ttrpc"

[debug]
  address = "${p.containerdSocket}.debug"

[plugins."io.containerd.internal.v1.opt"]
  path = "${join(p.containerdRoot, 'opt')}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${options.sandboxImage}"
  # Without CAP_SYS_RESOURCE runc cannot set the negative oom_score_adj the kubelet asks for
  # (Guaranteed: -997), and every sandbox would fail; restricted, it keeps the runtime's own value.
  restrict_oom_score_adj = ${options.canLowerOomScoreAdj ? 'false' : 'true'}
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${p.cniConfig}"
`;
}

export function cniConfig(p: Paths): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'qoslab',
      plugins: [
        {
          type: 'bridge',
          bridge: NETWORK.bridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: NETWORK.podCidr }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: p.cniData },
        },
      ],
    },
    null,
    2,
  )}\n`;
}

export function kubeletConfig(p: Paths, options: NodeOptions): Record<string, unknown> {
  return {
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    ...options.kubelet,
    address: NETWORK.nodeAddress,
    port: PORTS.kubelet,
    healthzBindAddress: '127.0.0.1',
    healthzPort: PORTS.kubeletHealthz,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: join(p.pki, 'ca.crt') } },
    authorization: { mode: 'Webhook' },
    // The serving certificate is signed by the cluster CA (approved CSR), so clients can verify it.
    serverTLSBootstrap: true,
    cgroupDriver: 'cgroupfs',
    cgroupRoot: options.cgroupRoot,
    cgroupsPerQOS: true,
    failCgroupV1: false,
    containerRuntimeEndpoint: `unix://${p.containerdSocket}`,
    clusterDNS: [NETWORK.dnsServiceAddress],
    clusterDomain: NETWORK.clusterDomain,
    // Pods see only the cluster's resolver: no search domains or name servers of this host.
    resolvConf: join(p.config, 'resolv.conf'),
    staticPodPath: '',
    registerNode: true,
  };
}

export function kubeProxyConfig(p: Paths): Record<string, unknown> {
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig: join(p.config, 'kube-proxy.kubeconfig') },
    mode: 'iptables',
    clusterCIDR: NETWORK.clusterCidr,
    hostnameOverride: NODE_NAME,
    healthzBindAddress: `127.0.0.1:${PORTS.proxyHealthz}`,
    metricsBindAddress: `127.0.0.1:${PORTS.proxyMetrics}`,
    iptables: { minSyncPeriod: '1s' },
    // As kind does: nf_conntrack_max is global, not the node's own to set.
    conntrack: { maxPerCore: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
  };
}

/** Writes every configuration file and kubeconfig into p.config. */
export function writeConfigs(p: Paths, options: NodeOptions): void {
  mkdirSync(p.config, { recursive: true });
  mkdirSync(p.cniConfig, { recursive: true });
  writeFileSync(join(p.config, 'containerd.toml'), containerdConfig(p, options));
  writeFileSync(join(p.cniConfig, '10-qoslab.conflist'), cniConfig(p));
  writeFileSync(join(p.config, 'kubelet.yaml'), stringify(kubeletConfig(p, options)));
  writeFileSync(join(p.config, 'kube-proxy.yaml'), stringify(kubeProxyConfig(p)));
  writeFileSync(join(p.config, 'resolv.conf'), '');
  for (const identity of ['kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kube-router']) {
    writeFileSync(join(p.config, `${identity}.kubeconfig`), kubeconfig(p.pki, identity), { mode: 0o600 });
  }
  writeFileSync(p.kubeconfig, kubeconfig(p.pki, 'admin'), { mode: 0o600 });
}

export function componentSpecs(p: Paths, bin: Binaries): ComponentSpec[] {
  const pki = (file: string) => join(p.pki, file);
  const config = (file: string) => join(p.config, file);
  const loopback = '127.0.0.1';
  return [
    { name: 'containerd', command: bin.containerd, args: ['--config', config('containerd.toml')] },
    {
      name: 'etcd',
      command: bin.etcd,
      args: [
        '--name=qoslab-node',
        `--data-dir=${p.etcd}`,
        `--listen-client-urls=http://${loopback}:${PORTS.etcdClient}`,
        `--advertise-client-urls=http://${loopback}:${PORTS.etcdClient}`,
        `--listen-peer-urls=http://${loopback}:${PORTS.etcdPeer}`,
        `--initial-advertise-peer-urls=http://${loopback}:${PORTS.etcdPeer}`,
        `--initial-cluster=qoslab-node=http://${loopback}:${PORTS.etcdPeer}`,
        '--quota-backend-bytes=2147483648',
      ],
    },
    {
      name: 'kube-apiserver',
      command: bin['kube-apiserver'],
      args: [
        `--etcd-servers=http://${loopback}:${PORTS.etcdClient}`,
        `--bind-address=${NETWORK.nodeAddress}`,
        `--advertise-address=${NETWORK.nodeAddress}`,
        `--secure-port=${PORTS.apiServer}`,
        `--tls-cert-file=${pki('kube-apiserver.crt')}`,
        `--tls-private-key-file=${pki('kube-apiserver.key')}`,
        `--client-ca-file=${pki('ca.crt')}`,
        `--service-cluster-ip-range=${NETWORK.serviceCidr}`,
        `--service-account-issuer=https://kubernetes.default.svc.${NETWORK.clusterDomain}`,
        `--service-account-key-file=${pki('service-account.pub')}`,
        `--service-account-signing-key-file=${pki('service-account.key')}`,
        '--authorization-mode=Node,RBAC',
        '--enable-admission-plugins=NodeRestriction',
        `--kubelet-client-certificate=${pki('apiserver-kubelet-client.crt')}`,
        `--kubelet-client-key=${pki('apiserver-kubelet-client.key')}`,
        `--kubelet-certificate-authority=${pki('ca.crt')}`,
        '--kubelet-preferred-address-types=InternalIP,Hostname',
        '--allow-privileged=true',
        '--profiling=false',
      ],
    },
    {
      name: 'kube-controller-manager',
      command: bin['kube-controller-manager'],
      args: [
        `--kubeconfig=${config('kube-controller-manager.kubeconfig')}`,
        `--authentication-kubeconfig=${config('kube-controller-manager.kubeconfig')}`,
        `--authorization-kubeconfig=${config('kube-controller-manager.kubeconfig')}`,
        `--bind-address=${loopback}`,
        `--secure-port=${PORTS.controllerManager}`,
        `--cluster-signing-cert-file=${pki('ca.crt')}`,
        `--cluster-signing-key-file=${pki('ca.key')}`,
        `--root-ca-file=${pki('ca.crt')}`,
        `--service-account-private-key-file=${pki('service-account.key')}`,
        '--use-service-account-credentials=true',
        '--allocate-node-cidrs=true',
        `--cluster-cidr=${NETWORK.clusterCidr}`,
        '--node-cidr-mask-size=24',
        `--service-cluster-ip-range=${NETWORK.serviceCidr}`,
        '--leader-elect=false',
        '--profiling=false',
      ],
    },
    {
      name: 'kube-scheduler',
      command: bin['kube-scheduler'],
      args: [
        `--kubeconfig=${config('kube-scheduler.kubeconfig')}`,
        `--authentication-kubeconfig=${config('kube-scheduler.kubeconfig')}`,
        `--authorization-kubeconfig=${config('kube-scheduler.kubeconfig')}`,
        `--bind-address=${loopback}`,
        `--secure-port=${PORTS.scheduler}`,
        '--leader-elect=false',
        '--profiling=false',
      ],
    },
    {
      name: 'kubelet',
      command: bin.kubelet,
      args: [
        `--config=${config('kubelet.yaml')}`,
        `--kubeconfig=${config('kubelet.kubeconfig')}`,
        `--root-dir=${p.kubelet}`,
        `--cert-dir=${join(p.kubelet, 'pki')}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NETWORK.nodeAddress}`,
        '--node-labels=qoslab.dev/cluster=local',
      ],
    },
    { name: 'kube-proxy', command: bin['kube-proxy'], args: [`--config=${config('kube-proxy.yaml')}`] },
    {
      name: 'kube-router',
      command: bin['kube-router'],
      args: [
        `--kubeconfig=${config('kube-router.kubeconfig')}`,
        `--hostname-override=${NODE_NAME}`,
        '--run-firewall=true',
        '--run-router=false',
        '--run-service-proxy=false',
        '--enable-ipv4=true',
        '--enable-ipv6=false',
        `--health-port=${PORTS.routerHealth}`,
        '--metrics-port=0',
      ],
    },
  ];
}
