import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, RABBITMQ_LINES, rabbitmqctl, rabbitmqRuntime, startRabbitmqNode, waitForClusterSize, writeErlangCookie, type Lab } from './index';

const HOSTS = ['alpha', 'beta', 'gamma'];

function labNamespaces(id: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(id));
}

describe('a lab of three hosts', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ hosts: HOSTS.map((name) => ({ name })), ownPidNamespaces: true });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('gives every host its own address inside the subnet, its own host name and loopback', async () => {
    expect(lab.subnet).toMatch(/^10\.231\.\d{1,3}\.0\/24$/);
    for (const host of HOSTS) {
      const prefix = lab.subnet.replace(/\.0\/24$/, '.');
      expect(lab.addressOf(host).startsWith(prefix)).toBe(true);
      expect((await lab.run(host, ['hostname'])).stdout.trim()).toBe(host);
      const addresses = await lab.run(host, ['ip', '-4', '-o', 'addr', 'show']);
      expect(addresses.stdout).toContain(`inet ${lab.addressOf(host)}/24`);
      expect(addresses.stdout).toMatch(/^\d+: lo\s+inet 127\.0\.0\.1\/8/m);
    }
  });

  it('lets every host ping every host by name', async () => {
    for (const from of HOSTS) {
      for (const to of HOSTS) {
        const ping = await lab.run(from, ['ping', '-c', '1', '-W', '2', to]);
        expect(ping.code, `${from} -> ${to}: ${ping.stdout}${ping.stderr}`).toBe(0);
        expect(ping.stdout).toContain(`(${lab.addressOf(to)})`);
      }
    }
  });

  it('leaves the root namespace without any address or route into the lab', () => {
    const prefix = lab.subnet.replace(/0\/24$/, '');
    expect(execFileSync('ip', ['-4', 'addr', 'show'], { encoding: 'utf8' })).not.toContain(prefix);
    expect(execFileSync('ip', ['-4', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })).not.toContain(prefix);
  });

  it('carries multicast between hosts (as VRRP needs)', async () => {
    const group = '239.255.77.1';
    const receiver = `const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
      s.on('message', (m) => { console.log(String(m)); process.exit(0); });
      s.bind(5999, () => s.addMembership('${group}', '${lab.addressOf('beta')}'));
      setTimeout(() => process.exit(3), 5000);`;
    const sender = `const s = require('node:dgram').createSocket('udp4');
      s.bind(() => { s.setMulticastInterface('${lab.addressOf('alpha')}');
        const t = setInterval(() => s.send('hello from alpha', 5999, '${group}'), 100);
        setTimeout(() => { clearInterval(t); s.close(); }, 3000); });`;
    const [received] = await Promise.all([lab.run('beta', ['node', '-e', receiver]), lab.run('alpha', ['node', '-e', sender])]);
    expect(received.code, received.stderr).toBe(0);
    expect(received.stdout.trim()).toBe('hello from alpha');
  });

  it('gives each host its own PID namespace', async () => {
    const sleeper = lab.spawn('alpha', ['sleep', '1001']);
    await expect.poll(async () => (await lab.run('alpha', ['pgrep', '-x', 'sleep'])).code).toBe(0);
    expect((await lab.run('beta', ['pgrep', '-x', 'sleep'])).code).toBe(1);
    await sleeper.kill('SIGKILL');
    expect(await sleeper.exited()).toBeNull();
  });

  it('cuts and restores a host link while its processes keep running', async () => {
    const survivor = lab.spawn('gamma', ['sleep', '1002']);
    await lab.cutLink('gamma');
    try {
      expect((await lab.run('alpha', ['ping', '-c', '1', '-W', '1', 'gamma'])).code).not.toBe(0);
      expect((await lab.run('gamma', ['ping', '-c', '1', '-W', '1', 'beta'])).code).not.toBe(0);
    } finally {
      await lab.restoreLink('gamma');
    }
    const ping = await lab.run('alpha', ['ping', '-c', '1', '-W', '3', 'gamma']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    expect((await lab.run('gamma', ['pgrep', '-x', 'sleep'])).code).toBe(0);
    await survivor.kill('SIGKILL');
  });

  it('runs with bind mounts, environment, input and a timeout', async () => {
    const dir = join(lab.tempDir, 'etc-hello');
    mkdirSync(dir);
    writeFileSync(join(dir, 'greeting'), 'from the lab\n');
    const mounted = await lab.run('beta', ['sh', '-c', 'cat /etc/rabbitmq/greeting; echo "$LAB_VAR"; cat'], {
      bindMounts: [{ source: dir, target: '/etc/rabbitmq' }],
      env: { LAB_VAR: 'set' },
      input: 'piped',
    });
    expect(mounted).toEqual({ code: 0, stdout: 'from the lab\nset\npiped', stderr: '' });
    expect(existsSync('/etc/rabbitmq/greeting')).toBe(false);
    const slow = await lab.run('beta', ['sleep', '30'], { timeoutMs: 300 });
    expect(slow.code).toBe(124);
    expect((await lab.run('beta', ['sh', '-c', 'exit 7'])).code).toBe(7);
  });
});

describe('creating and destroying labs', () => {
  it('rejects a bad host list with every problem at once', async () => {
    await expect(createLab({ hosts: [{ name: 'Rabbit_1' }, { name: 'b', address: '10.9.9.9' }, { name: 'b' }], subnet: '10.231.5.0/24' })).rejects.toThrow(
      [
        'createLab: 3 problems:',
        '  hosts[0].name: "Rabbit_1" is not a lower-case DNS label; use letters, digits and inner hyphens, e.g. "rabbit-1"',
        '  hosts[2].name: "b" is used twice; give each host its own name',
        '  hosts[1].address: "10.9.9.9" is not a host address inside 10.231.5.0/24; pick one between 10.231.5.1 and 10.231.5.254',
      ].join('\n'),
    );
  });

  it('kills every process and removes every namespace, hosts file and temp dir on destroy, twice safely', async () => {
    const lab = await createLab({ hosts: [{ name: 'one' }, { name: 'two' }] });
    let destroyed = false;
    try {
      // A daemon leaves its process group; destroy() must still find it through the namespace.
      const sleeper = lab.spawn('one', ['sleep', '1003']);
      await lab.run('two', ['sh', '-c', 'setsid sleep 1004 > /dev/null 2>&1 &']);
      expect(labNamespaces(lab.id)).toHaveLength(3);
      await lab.destroy();
      destroyed = true;
      await lab.destroy();
      expect(await sleeper.exited()).toBeNull();
      expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toMatch(/sleep 100[34]/);
      expect(labNamespaces(lab.id)).toEqual([]);
      expect(existsSync(`/etc/netns/wl-${lab.id}-one`)).toBe(false);
      expect(existsSync(lab.tempDir)).toBe(false);
      expect(() => lab.spawn('one', ['true'])).toThrow(`lab ${lab.id}: already destroyed; create a new lab`);
    } finally {
      if (!destroyed) await lab.destroy();
    }
  });

  it('removes what a crashed run left behind, and only that', async () => {
    const stale = 'wl-0dead0-leftover';
    execFileSync('ip', ['netns', 'add', stale]);
    mkdirSync(`/etc/netns/${stale}`, { recursive: true });
    const lab = await createLab({ hosts: [{ name: 'solo' }] });
    try {
      expect(labNamespaces('wl-0dead0')).toEqual([]);
      expect(existsSync(`/etc/netns/${stale}`)).toBe(false);
      expect(labNamespaces(lab.id)).toHaveLength(2);
    } finally {
      await lab.destroy();
      execFileSync('sh', ['-c', `ip netns del ${stale} 2>/dev/null; rm -rf /etc/netns/${stale}`]);
    }
  });
});

describe.each(RABBITMQ_LINES)('three real RabbitMQ %s nodes in a lab', (line) => {
  const nodes = ['rabbit-1', 'rabbit-2', 'rabbit-3'];
  const runtime = rabbitmqRuntime(line);
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ hosts: nodes.map((name) => ({ name })) });
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  it('form one cluster of three through classic_config peer discovery within 60 s', async () => {
    const conf = [
      'cluster_formation.peer_discovery_backend = classic_config',
      ...nodes.map((host, i) => `cluster_formation.classic_config.nodes.${i + 1} = rabbit@${host}`),
      '',
    ].join('\n');
    const dirs = nodes.map((host) => {
      const base = join(lab.tempDir, host);
      const dir = { etcDir: join(base, 'etc'), dataDir: join(base, 'data'), logDir: join(base, 'log') };
      for (const d of Object.values(dir)) mkdirSync(d, { recursive: true });
      writeFileSync(join(dir.etcDir, 'rabbitmq.conf'), conf);
      writeFileSync(join(dir.etcDir, 'enabled_plugins'), '[].\n');
      writeErlangCookie(dir.dataDir, 'FAKE-TEST-COOKIE-NOT-A-SECRET');
      return dir;
    });
    const started = Date.now();
    await Promise.all(nodes.map((host, i) => startRabbitmqNode(lab, host, { nodeName: `rabbit@${host}`, ...dirs[i]!, root: runtime.root })));
    let status;
    try {
      status = await waitForClusterSize(lab, { host: 'rabbit-1', nodeName: 'rabbit@rabbit-1', dataDir: dirs[0]!.dataDir, root: runtime.root }, 3, 60_000);
    } catch (error) {
      const logs = dirs.map((d, i) => `--- ${nodes[i]} console.log (tail)\n${readFileSync(join(d.logDir, 'console.log'), 'utf8').slice(-1500)}`);
      throw new Error(`${(error as Error).message}\n${logs.join('\n')}`);
    }
    const formationMs = Date.now() - started;
    console.log(`lab: 3 RabbitMQ ${runtime.versions['rabbitmq-server']} nodes (Erlang ${runtime.versions['erlang-base']}) formed one cluster ${formationMs} ms after start`);
    expect(formationMs).toBeLessThan(60_000);
    expect([...status.running_nodes].sort()).toEqual(nodes.map((h) => `rabbit@${h}`));
    expect(status.partitions).toEqual({});
    const last = { host: 'rabbit-3', nodeName: 'rabbit@rabbit-3', dataDir: dirs[2]!.dataDir, root: runtime.root };
    const fromLast = await rabbitmqctl(lab, last, ['cluster_status', '--formatter', 'json']);
    expect(fromLast.code, fromLast.stderr).toBe(0);
    expect((JSON.parse(fromLast.stdout) as { running_nodes: string[] }).running_nodes.sort()).toEqual(nodes.map((h) => `rabbit@${h}`));
    // The node that answered is the line's own package, not this machine's.
    const version = await rabbitmqctl(lab, last, ['version']);
    expect(runtime.versions['rabbitmq-server']?.startsWith(`${version.stdout.trim()}-`), `${version.stdout} vs ${JSON.stringify(runtime.versions)}`).toBe(true);
    expect(version.stdout.trim().startsWith(`${line}.`)).toBe(true);
  }, 150_000);
});
