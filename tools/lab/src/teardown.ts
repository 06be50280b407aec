// lab teardown on a cluster that is not the workshop's own kind cluster: everything the lab applied goes.
import { renderWithOverrides } from './deploy.js';
import type { Log } from './images.js';
import { type Kube, until } from './kube.js';

export async function teardown(kube: Kube, overlay: string, log: Log): Promise<void> {
  kube.requireReachable();
  const objects = renderWithOverrides(kube, overlay);
  const clusterScoped = objects.filter((o) => ['ClusterRole', 'ClusterRoleBinding'].includes(o.kind as string));
  const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name as string);
  for (const o of clusterScoped) kube.run(['delete', String(o.kind).toLowerCase(), o.metadata.name, '--ignore-not-found']);
  kube.run(['delete', 'namespace', ...namespaces, '--ignore-not-found', '--wait=false']);
  log(`deleting namespaces ${namespaces.join(', ')}`);
  await until(
    'the namespaces were not deleted',
    () => (namespaces.every((ns) => kube.run(['get', 'namespace', ns]).status !== 0) ? true : undefined),
    300_000,
    2000,
  );
  log('torn down: the lab\'s namespaces and cluster roles are gone');
}
