// The cluster's certificates, made with openssl: one CA signs every serving and client certificate
// (ECDSA P-256), and a separate key pair signs service-account tokens. Kubeconfigs embed them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { must } from './exec';
import { CONTEXT, NETWORK, NODE_NAME, PORTS } from './settings';

export interface Identity {
  /** File stem under the pki directory. */
  name: string;
  commonName: string;
  organization?: string;
  server?: { dns: string[]; ips: string[] };
  client?: boolean;
}

/** Who talks to whom: the Kubernetes users each component authenticates as. */
export const IDENTITIES: Identity[] = [
  {
    name: 'kube-apiserver',
    commonName: 'kube-apiserver',
    server: {
      dns: ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', `kubernetes.default.svc.${NETWORK.clusterDomain}`, 'localhost', NODE_NAME],
      ips: [NETWORK.nodeAddress, NETWORK.apiServiceAddress, '127.0.0.1'],
    },
  },
  { name: 'apiserver-kubelet-client', commonName: 'kube-apiserver-kubelet-client', client: true },
  { name: 'admin', commonName: 'qoslab-admin', organization: 'system:masters', client: true },
  { name: 'kube-controller-manager', commonName: 'system:kube-controller-manager', client: true },
  { name: 'kube-scheduler', commonName: 'system:kube-scheduler', client: true },
  { name: 'kubelet', commonName: `system:node:${NODE_NAME}`, organization: 'system:nodes', client: true },
  { name: 'kube-proxy', commonName: 'system:kube-proxy', client: true },
  { name: 'kube-router', commonName: 'qoslab:kube-router', client: true },
];

const openssl = (args: string[]) => must('openssl', args);

function newKey(path: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
}

/** Creates the CA, the service-account key pair and every identity's certificate, unless they exist. */
export function ensurePki(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = join(dir, 'ca');
  if (!existsSync(`${ca}.crt`)) {
    newKey(`${ca}.key`);
    openssl(['req', '-x509', '-new', '-key', `${ca}.key`, '-sha256', '-days', '3650', '-subj', '/CN=qoslab-local-ca', '-out', `${ca}.crt`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  }
  const sa = join(dir, 'service-account');
  if (!existsSync(`${sa}.pub`)) {
    newKey(`${sa}.key`);
    openssl(['pkey', '-in', `${sa}.key`, '-pubout', '-out', `${sa}.pub`]);
  }
  for (const identity of IDENTITIES) {
    const base = join(dir, identity.name);
    if (existsSync(`${base}.crt`)) continue;
    newKey(`${base}.key`);
    const subject = `${identity.organization ? `/O=${identity.organization}` : ''}/CN=${identity.commonName}`;
    openssl(['req', '-new', '-key', `${base}.key`, '-subj', subject, '-out', `${base}.csr`]);
    const extensions = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment'];
    const usages = [...(identity.server ? ['serverAuth'] : []), ...(identity.client ? ['clientAuth'] : [])];
    extensions.push(`extendedKeyUsage=${usages.join(',')}`);
    if (identity.server) extensions.push(`subjectAltName=${[...identity.server.dns.map((d) => `DNS:${d}`), ...identity.server.ips.map((i) => `IP:${i}`)].join(',')}`);
    writeFileSync(`${base}.ext`, `${extensions.join('\n')}\n`);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-sha256', '-days', '825', '-extfile', `${base}.ext`, '-out', `${base}.crt`]);
  }
}

const apiServerUrl = `https://${NETWORK.nodeAddress}:${PORTS.apiServer}`;

/** A kubeconfig for one identity, with its certificate and the CA embedded. */
export function kubeconfig(pkiDir: string, identity: string, context = CONTEXT): string {
  const b64 = (file: string) => readFileSync(join(pkiDir, file)).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server: apiServerUrl, 'certificate-authority-data': b64('ca.crt') } }],
    users: [{ name: identity, user: { 'client-certificate-data': b64(`${identity}.crt`), 'client-key-data': b64(`${identity}.key`) } }],
    contexts: [{ name: context, context: { cluster: context, user: identity } }],
    'current-context': context,
  });
}
