import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findContainerCgroup, readCgroupStats } from './cgroup';

function files(map: Record<string, string>) {
  return {
    read: (path: string) => {
      const content = map[path];
      if (content === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return content;
    },
    exists: (path: string) => path in map,
  };
}

const V2_MOUNT = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n';
const V1_MOUNTS = (root: string) =>
  [
    `35 31 0:32 ${root} /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory`,
    `32 31 0:29 ${root} /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct`,
  ].join('\n');

test('cgroup v2 with a private cgroup namespace (Docker, Kubernetes) is a container', () => {
  const fs = files({
    '/proc/self/mountinfo': V2_MOUNT,
    '/proc/self/cgroup': '0::/\n',
    '/sys/fs/cgroup/memory.current': '1',
  });
  assert.deepEqual(findContainerCgroup('/proc/self', fs.read, fs.exists), { version: 2, dirs: { unified: '/sys/fs/cgroup' } });
});

test('cgroup v2 host: a process in a systemd slice, or the root cgroup, is not a container', () => {
  const slice = files({ '/proc/self/mountinfo': V2_MOUNT, '/proc/self/cgroup': '0::/user.slice/session-1.scope\n', '/sys/fs/cgroup/memory.current': '1' });
  assert.equal(findContainerCgroup('/proc/self', slice.read, slice.exists), undefined);
  const root = files({ '/proc/self/mountinfo': V2_MOUNT, '/proc/self/cgroup': '0::/\n' });
  assert.equal(findContainerCgroup('/proc/self', root.read, root.exists), undefined);
});

test('cgroup v1: the container sees its own cgroup mounted at the controller root', () => {
  const path = '/docker/0123abcd';
  const fs = files({ '/proc/self/mountinfo': V1_MOUNTS(path), '/proc/self/cgroup': `4:memory:${path}\n2:cpu,cpuacct:${path}\n` });
  assert.deepEqual(findContainerCgroup('/proc/self', fs.read, fs.exists), {
    version: 1,
    dirs: { memory: '/sys/fs/cgroup/memory', cpu: '/sys/fs/cgroup/cpu,cpuacct', cpuacct: '/sys/fs/cgroup/cpu,cpuacct' },
  });
});

test('cgroup v1 host: a process below the mounted root is not a container', () => {
  const fs = files({ '/proc/self/mountinfo': V1_MOUNTS('/'), '/proc/self/cgroup': '4:memory:/process_api/42\n2:cpu,cpuacct:/\n' });
  assert.equal(findContainerCgroup('/proc/self', fs.read, fs.exists), undefined);
});

test('no cgroup files at all: nothing is reported', () => {
  const fs = files({});
  assert.equal(findContainerCgroup('/proc/self', fs.read, fs.exists), undefined);
});

test('reads cgroup v2 memory, CPU, throttling, OOM events and pressure', () => {
  const dir = '/sys/fs/cgroup';
  const fs = files({
    [`${dir}/memory.current`]: '52428800\n',
    [`${dir}/memory.max`]: '134217728\n',
    [`${dir}/memory.events`]: 'low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n',
    [`${dir}/cpu.stat`]: 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 100\nnr_throttled 40\nthrottled_usec 1500000\n',
    [`${dir}/cpu.pressure`]: 'some avg10=1.00 avg60=0.50 avg300=0.10 total=3000000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n',
    [`${dir}/memory.pressure`]: 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n',
  });
  const stats = readCgroupStats({ version: 2, dirs: { unified: dir } }, fs.read);
  assert.equal(stats.memoryUsageBytes, 52_428_800);
  assert.equal(stats.memoryLimitBytes, 134_217_728);
  assert.equal(stats.memoryEvents?.oom_kill, 2);
  assert.equal(stats.cpuUsageSeconds, 2.5);
  assert.equal(stats.cpuPeriods, 100);
  assert.equal(stats.cpuThrottledPeriods, 40);
  assert.equal(stats.cpuThrottledSeconds, 1.5);
  assert.deepEqual(stats.pressureStallSeconds?.filter((entry) => entry.resource === 'cpu'), [
    { resource: 'cpu', scope: 'some', seconds: 3 },
    { resource: 'cpu', scope: 'full', seconds: 1 },
  ]);
  assert.equal(stats.pressureStallSeconds?.some((entry) => entry.resource === 'io'), false);
});

test('cgroup v2 "max" means no limit', () => {
  const fs = files({ '/c/memory.current': '1', '/c/memory.max': 'max\n' });
  assert.equal(readCgroupStats({ version: 2, dirs: { unified: '/c' } }, fs.read).memoryLimitBytes, undefined);
});

test('reads cgroup v1 memory, CPU accounting and throttling; an unlimited limit is absent', () => {
  const fs = files({
    '/m/memory.usage_in_bytes': '1048576',
    '/m/memory.limit_in_bytes': '9223372036854771712',
    '/m/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n',
    '/m/memory.failcnt': '7',
    '/c/cpuacct.usage': '2000000000',
    '/c/cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 500000000\n',
  });
  const stats = readCgroupStats({ version: 1, dirs: { memory: '/m', cpu: '/c', cpuacct: '/c' } }, fs.read);
  assert.equal(stats.memoryUsageBytes, 1_048_576);
  assert.equal(stats.memoryLimitBytes, undefined);
  assert.deepEqual(stats.memoryEvents, { oom_kill: 1, max: 7 });
  assert.equal(stats.cpuUsageSeconds, 2);
  assert.equal(stats.cpuThrottledPeriods, 4);
  assert.equal(stats.cpuThrottledSeconds, 0.5);
  assert.equal(stats.pressureStallSeconds, undefined);
});
