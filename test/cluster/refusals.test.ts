// The local cluster refuses, with one line and a non-zero exit, when it cannot run, and leaves the
// host as it found it: not root, an address it needs taken, no usable cgroup.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '@qoslab/native-stack';
import { CLUSTER_CLI, cluster, describeRan } from './support';

const SKIP = process.getuid?.() === 0 ? false : 'the checks run as root and drop to an unprivileged user themselves';

function up(options: { env?: NodeJS.ProcessEnv; prefix?: string[] } = {}) {
  const [command, ...args] = [...(options.prefix ?? []), process.execPath, '--import', 'tsx', CLUSTER_CLI, 'up'];
  const result = spawnSync(command!, args, { cwd: repoRoot, env: { ...process.env, ...options.env }, encoding: 'utf8', timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const nothingLeft = () => {
  assert.notEqual(spawnSync('ip', ['link', 'show', 'qoslab0']).status, 0, 'no interface of the cluster');
  assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, /qoslab-node/);
};

describe('cluster up refuses what it cannot do', { skip: SKIP }, () => {
  // A cluster left by an earlier run would be taken down first, and say so: start from none.
  before(() => {
    const result = cluster(['down'], 300_000);
    assert.equal(result.status, 0, describeRan(result));
  });

  test('not root', () => {
    const result = up({ prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'], env: { HOME: '/tmp' } });
    assert.equal(result.status, 1, describeRan(result));
    assert.match(result.stderr, /^cluster: must run as root/);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    nothingLeft();
  });

  test('no usable cgroup', () => {
    const result = up({ env: { QOSLAB_CLUSTER_CGROUP_ROOT: '/nonexistent/cgroup' } });
    assert.equal(result.status, 1, describeRan(result));
    assert.match(result.stderr, /^cluster: no usable cgroup: nothing is mounted at \/nonexistent\/cgroup/);
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    nothingLeft();
  });

  describe('an address it needs is taken', () => {
    after(() => spawnSync('ip', ['link', 'delete', 'qltest0']));
    test('refuses, naming the address and who has it', () => {
      spawnSync('ip', ['link', 'delete', 'qltest0']);
      for (const args of [['link', 'add', 'qltest0', 'type', 'veth', 'peer', 'name', 'qltest1'], ['addr', 'add', '198.51.100.1/32', 'dev', 'qltest0']]) {
        assert.equal(spawnSync('ip', args).status, 0, `ip ${args.join(' ')}`);
      }
      const result = up();
      assert.equal(result.status, 1, describeRan(result));
      assert.match(result.stderr, /^cluster: address 198\.51\.100\.1 is taken on this host \(interface qltest0\)/);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
      nothingLeft();
    });
  });
});
