/**
 * Real, per TLS example: examples/tls-3.10.yaml and tls-4.3.yaml (TLS only, HAProxy passing TLS through) with the
 * certificate material switched to `generate`: warren's CA and one certificate and key per node, from the secrets
 * store. `warren synth --target vm` writes the bundles; each node's own install.sh places
 * its files (modes and owners included) under a root folder; real RabbitMQ nodes of the line the example names
 * (3.10.8 from this machine, 4.3 from the forky root) boot from those folders in lab hosts with
 * the example's addresses; a real HAProxy runs the generated config on the load-balancer host (logging to
 * stdout, the only difference from the bundle's file). A client host then talks AMQP over TLS through HAProxy, checks
 * every TLS port (AMQP, management, Prometheus, stream) with openssl at each node and through HAProxy, and finds
 * every plain port refused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../../cli/main';
import { materialiseSecrets } from '../../io/secrets-store';
import { haproxyConfigFromCluster, renderHaproxyConfig } from '../../haproxy';
import { resolveCluster, secretsFolderFor, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model/internal';
import { createLab, haproxyRunMount, installedNodeOptions, rabbitmqctl, startBundleMajorityAgent, startRabbitmqNode, waitForClusterSize, type Lab, type RabbitmqNode } from '../lab';
import { ROOT } from '../support/fixtures';
import { configKeyComplaints, runtimeOf } from '../support/real-rabbitmq';

const CLIENT_SCRIPT = join(__dirname, 'clients', 'amqps-client.cjs');
/** Each example's version picks the line the nodes run. */
const EXAMPLES = ['tls-3.10.yaml', 'tls-4.3.yaml'];

describe.each(EXAMPLES)('TLS example %s on real RabbitMQ nodes of its line behind a real HAProxy', (example) => {
  const work = mkdtempSync(join(tmpdir(), 'warren-tls-real-'));
  const given = parse(readFileSync(join(ROOT, 'examples', example), 'utf8')) as ClusterSpec;
  const { caCertificate: _fromFile, ...givenTls } = given.tls!;
  // The example's listeners and options, with material warren generates: a certificate and key per node.
  const spec = { ...given, tls: { ...givenTls, certificate: 'generate', privateKey: 'generate' } } as ClusterSpec;
  const cluster: ResolvedCluster = resolveCluster(spec);
  const store = secretsFolderFor(join(work, 'dist'), cluster.name);
  const caCertificate = join(store, 'tls-ca-certificate');
  const nodeCertificate = (host: string) => join(store, `tls-certificate-${host}`);
  /** SHA-256 fingerprint (AA:BB:...) and serial of each node's stored certificate, by host. */
  const stored: Record<string, { fingerprint256: string; serial: string }> = {};
  const runtime = runtimeOf(cluster);
  let lab: Lab | undefined;
  let secrets: SecretValues;
  let nodes: RabbitmqNode[] = [];
  let lbHost = '';
  let formationMs = 0;

  const rootOf = (host: string) => join(work, 'roots', host);

  /** The bundle's majority agent, as its systemd unit runs it (HAProxy's check asks it after the AMQP one). */
  function startMajorityAgent(host: string): void {
    startBundleMajorityAgent(lab!, host, rootOf(host), { root: runtime.root, logFile: join(rootOf(host), 'var', 'log', 'rabbitmq', 'majority-agent.log') });
  }

  /** HAProxy's view of its servers from its Prometheus exporter: `proxy/server` -> state. */
  async function serverStates(): Promise<Record<string, string>> {
    const lb = cluster.loadBalancer!;
    const credentials = `${lb.haproxy.statsUser}:${secrets[lb.statsPassword.id]}`;
    const result = await lab!.run('client', ['curl', '-s', '--max-time', '3', '-u', credentials, `http://${lbHost}:${lb.haproxy.statsPort}${lb.haproxy.metricsPath}`]);
    const states: Record<string, string> = {};
    for (const [, proxy, server, state] of result.stdout.matchAll(/^haproxy_server_status\{proxy="([^"]+)",server="([^"]+)",state="([^"]+)"\} 1$/gm)) {
      states[`${proxy}/${server}`] = state!;
    }
    return states;
  }

  async function waitForStates(expected: Record<string, string>, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let last: Record<string, string> = {};
    while (Date.now() - started < timeoutMs) {
      last = await serverStates();
      if (Object.entries(expected).every(([key, state]) => last[key] === state)) return Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`HAProxy servers did not reach ${JSON.stringify(expected)} within ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
  }

  async function runClient(queue: string, count: number) {
    const password = secrets[cluster.defaultUser.password.id]!;
    const url = `amqps://${encodeURIComponent(cluster.defaultUser.name)}:${encodeURIComponent(password)}@${lbHost}:${cluster.ports.amqps}/`;
    const result = await lab!.run('client', ['node', CLIENT_SCRIPT], {
      env: { AMQPS_URL: url, CA_FILE: caCertificate, SERVER_NAME: lbHost, QUEUE: queue, COUNT: String(count) },
      timeoutMs: 60_000,
    });
    if (result.code !== 0) throw new Error(`client failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(result.stdout.trim()) as { authorized: boolean; protocol: string; peerFingerprint256: string; peerSubject: string; published: number; consumed: number; inOrder: boolean };
  }

  beforeAll(async () => {
    lbHost = cluster.loadBalancer!.hosts[0]!.host;
    writeFileSync(join(work, example), stringify(spec));
    const log: string[] = [];
    const code = runCli(['synth', '--spec', join(work, example), '--out', join(work, 'dist'), '--target', 'vm'], {
      stdout: (t) => log.push(t),
      stderr: (t) => log.push(t),
      env: {},
      cwd: work,
    });
    if (code !== 0) throw new Error(`warren synth failed:\n${log.join('')}`);
    secrets = materialiseSecrets(cluster, { folder: store, baseDir: work, env: {} });
    for (const node of cluster.nodes) {
      const x509 = (...flags: string[]) => execFileSync('openssl', ['x509', '-in', nodeCertificate(node.host), '-noout', ...flags], { encoding: 'utf8' }).trim().replace(/^.*=/, '');
      stored[node.host] = { fingerprint256: x509('-fingerprint', '-sha256'), serial: x509('-serial') };
    }

    // Each node's bundle, installed by its own install.sh (real run) under a root folder of its own.
    for (const node of cluster.nodes) {
      execFileSync(join(work, 'dist', 'vm', node.host, 'install.sh'), ['--root', rootOf(node.host), '--no-packages'], { encoding: 'utf8' });
      mkdirSync(join(rootOf(node.host), 'var', 'log', 'rabbitmq'), { recursive: true });
    }
    const haproxyDir = join(work, 'haproxy');
    mkdirSync(haproxyDir);
    writeFileSync(
      join(haproxyDir, 'haproxy.cfg'),
      renderHaproxyConfig(haproxyConfigFromCluster(cluster, secrets, { target: 'vm', serverAddress: (n) => n.address!, log: 'stdout' })),
    );

    lab = await createLab({
      hosts: [
        ...cluster.nodes.map((n) => ({ name: n.host, address: n.address! })),
        { name: lbHost, address: cluster.loadBalancer!.hosts[0]!.address },
        { name: 'client', address: cluster.loadBalancer!.hosts[0]!.address.replace(/\.\d+$/, '.30') },
      ],
    });
    const started = Date.now();
    nodes = await Promise.all(
      cluster.nodes.map((node) => startRabbitmqNode(lab!, node.host, installedNodeOptions(rootOf(node.host), node.nodeName, runtime.root))),
    );
    for (const node of cluster.nodes) startMajorityAgent(node.host);
    lab.spawn(lbHost, ['haproxy', '-db', '-f', join(haproxyDir, 'haproxy.cfg')], { bindMounts: [haproxyRunMount(lab, lbHost)] });
    await waitForClusterSize(lab, nodes[0]!, nodes.length, 120_000);
    formationMs = Date.now() - started;
  }, 300_000);

  afterAll(async () => {
    await lab?.destroy();
    if (process.env.WARREN_LAB_KEEP !== '1') rmSync(work, { recursive: true, force: true });
  });

  it('the HAProxy config under test is the bundle\'s, but for the log line', () => {
    const bundle = readFileSync(join(work, 'dist', 'vm', lbHost, 'etc', 'haproxy', 'haproxy.cfg'), 'utf8').split('\n');
    const tested = readFileSync(join(work, 'haproxy', 'haproxy.cfg'), 'utf8').split('\n');
    const differing = bundle.flatMap((line, i) => (line === tested[i] ? [] : [`${line} -> ${tested[i]}`]));
    expect(differing).toEqual(['    log /dev/log local0 ->     log stdout format raw local0']);
    expect(tested.length).toBe(bundle.length);
  });

  it('install.sh placed each node\'s own key 0400 for the rabbitmq user and its certificate and the CA 0644, as the secrets store holds them', () => {
    for (const node of cluster.nodes) {
      const dir = join(rootOf(node.host), 'etc', 'rabbitmq', 'tls');
      expect(readFileSync(join(dir, 'server_key.pem'), 'utf8'), node.host).toBe(readFileSync(join(store, `tls-private-key-${node.host}`), 'utf8'));
      expect(readFileSync(join(dir, 'server_certificate.pem'), 'utf8'), node.host).toBe(readFileSync(nodeCertificate(node.host), 'utf8'));
      expect(readFileSync(join(dir, 'ca_certificate.pem'), 'utf8'), node.host).toBe(readFileSync(caCertificate, 'utf8'));
    }
    expect(new Set(cluster.nodes.map((n) => readFileSync(join(rootOf(n.host), 'etc', 'rabbitmq', 'tls', 'server_key.pem'), 'utf8'))).size).toBe(cluster.nodes.length);
    const tlsDir = join(rootOf(cluster.nodes[0]!.host), 'etc', 'rabbitmq', 'tls');
    const uid = Number(execFileSync('id', ['-u', 'rabbitmq'], { encoding: 'utf8' }));
    const key = statSync(join(tlsDir, 'server_key.pem'));
    expect([(key.mode & 0o777).toString(8), key.uid]).toEqual(['400', uid]);
    for (const file of ['server_certificate.pem', 'ca_certificate.pem']) {
      const s = statSync(join(tlsDir, file));
      expect([(s.mode & 0o777).toString(8), s.uid]).toEqual(['644', 0]);
    }
    // The rabbitmq user reads the key; anyone else is refused (real permission checks, not mode arithmetic).
    for (let dir = tlsDir; dir.startsWith(work); dir = join(dir, '..')) chmodSync(dir, statSync(dir).mode | 0o011);
    expect(spawnSync('runuser', ['-u', 'rabbitmq', '--', 'head', '-c', '27', join(tlsDir, 'server_key.pem')], { encoding: 'utf8' }).stdout).toBe('-----BEGIN PRIVATE KEY-----');
    expect(spawnSync('runuser', ['-u', 'nobody', '--', 'head', '-c', '27', join(tlsDir, 'server_key.pem')], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it('the nodes formed one cluster with a TLS listener and no plain one', async () => {
    const node = nodes[0]!;
    // #listener{node, protocol, host, ip_address, port, opts}: this node's protocols and ports.
    const listeners = await rabbitmqctl(lab!, node, ['eval', '[{element(3, L), element(6, L)} || L <- rabbit_networking:active_listeners(), element(2, L) =:= node()].']);
    const amqpListeners = [...listeners.stdout.matchAll(/\{('amqp\/ssl'|amqp),(\d+)\}/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(amqpListeners, listeners.stdout).toEqual(["'amqp/ssl':5671"]);
    const status = await waitForClusterSize(lab!, node, 3, 10_000);
    expect([...status.running_nodes].sort()).toEqual(cluster.nodes.map((n) => n.nodeName));
    const version = (await rabbitmqctl(lab!, node, ['version'])).stdout.trim();
    expect(version.startsWith(`${cluster.version.line}.`), version).toBe(true);
    console.log(`${example}: cluster of ${nodes.length} RabbitMQ ${version} nodes formed in ${formationMs} ms`);
  });

  it('every node booted without a complaint about any rabbitmq.conf key (TLS options included)', () => {
    for (const node of cluster.nodes) expect(configKeyComplaints(join(rootOf(node.host), 'var', 'log', 'rabbitmq')), node.host).toEqual([]);
  });

  it('every node itself presents the certificate over TLS and completes an AMQP handshake (no load balancer)', async () => {
    for (const node of cluster.nodes) {
      const command = `printf 'AMQP\\0\\0\\11\\1' | timeout 5 openssl s_client -quiet -connect ${node.host}:${cluster.ports.amqps} -servername ${node.host} -CAfile ${caCertificate} 2>/dev/null | head -c 11 | od -An -tx1`;
      const reply = await lab!.run('client', ['sh', '-c', command], { timeoutMs: 15_000 });
      // Connection.Start: frame type 1, channel 0, then class 10 method 10 after the 4-byte size.
      expect(reply.stdout.replace(/\s+/g, ''), node.host).toMatch(/^010000[0-9a-f]{8}000a000a$/);
    }
  });

  it('HAProxy\'s health check (the TLS port opened without a byte, then the management API) marks every node up', async () => {
    const ms = await waitForStates(Object.fromEntries(cluster.nodes.map((n) => [`amqps/${n.host}`, 'UP'])), 60_000);
    console.log(`every amqps server UP ${ms} ms after the cluster formed`);
    const states = await serverStates();
    expect(Object.keys(states).filter((k) => k.startsWith('amqp/'))).toEqual([]);
  });

  it('a client publishes and consumes over TLS through HAProxy\'s amqps port, verifying the broker against the CA', async () => {
    const started = Date.now();
    const result = await runClient('tls.orders', 200);
    console.log(`amqps client: ${JSON.stringify({ ...result, ms: Date.now() - started })}`);
    expect(result).toMatchObject({ authorized: true, published: 200, consumed: 200, inOrder: true });
    // Passthrough: the node HAProxy chose presents its own certificate, which names the load balancer too.
    expect(cluster.nodes.map((n) => n.host)).toContain(result.peerSubject);
    expect(result.peerFingerprint256).toBe(stored[result.peerSubject]!.fingerprint256);
  });

  it('openssl s_client through HAProxy sees the broker\'s own certificate (passthrough) and verifies it', async () => {
    const command = `openssl s_client -connect ${lbHost}:${cluster.ports.amqps} -servername ${lbHost} -CAfile ${caCertificate} </dev/null 2>/dev/null`;
    const handshake = await lab!.run('client', ['sh', '-c', command]);
    expect(handshake.stdout).toContain('Verify return code: 0 (ok)');
    const subject = new RegExp(`subject=CN ?= ?(${cluster.nodes.map((n) => n.host).join('|')})\n`).exec(handshake.stdout)?.[1];
    expect(subject, handshake.stdout).toBeDefined();
    const fingerprint = await lab!.run('client', ['sh', '-c', `${command} | openssl x509 -noout -fingerprint -sha256`]);
    // The certificate seen through HAProxy is one node's own (the connection may land on another node than the first handshake's).
    expect(Object.values(stored).map((s) => s.fingerprint256)).toContain(fingerprint.stdout.trim().replace(/^.*=/, ''));
  });

  /** `openssl s_client -verify_return_error` against host:port from the client host: its exit code and verify line. */
  async function verifiedHandshake(host: string, port: number) {
    const command = `openssl s_client -verify_return_error -connect ${host}:${port} -servername ${host} -CAfile ${caCertificate} </dev/null 2>&1`;
    const result = await lab!.run('client', ['sh', '-c', command], { timeoutMs: 15_000 });
    return { code: result.code, verify: /Verify return code: .*/.exec(result.stdout)?.[0] ?? result.stdout.slice(-300) };
  }

  it('the example turns TLS on for every listener family and leaves no plain listener', () => {
    expect(cluster.listeners.map((l) => `${l.name}:${l.port}`)).toEqual(['amqps:5671', 'management-tls:15671', 'prometheus-tls:15691', 'stream-tls:5551']);
  });

  it('every TLS port of every node answers openssl s_client -verify_return_error -CAfile <ca>', async () => {
    const seen: string[] = [];
    for (const node of cluster.nodes) {
      for (const listener of cluster.listeners) {
        const handshake = await verifiedHandshake(node.host, listener.port);
        seen.push(`${node.host}:${listener.port} ${handshake.code} ${handshake.verify}`);
      }
    }
    expect(seen).toEqual(cluster.nodes.flatMap((n) => cluster.listeners.map((l) => `${n.host}:${l.port} 0 Verify return code: 0 (ok)`)));
  });

  it('each node presents a certificate of its own (its serial, its key), every one chained to the one CA under openssl s_client -verify_return_error', async () => {
    const seen: string[] = [];
    for (const node of cluster.nodes) {
      const command =
        `openssl s_client -verify_return_error -connect ${node.host}:${cluster.ports.amqps} -servername ${node.host} -CAfile ${caCertificate} </dev/null 2>/dev/null` +
        ' | openssl x509 -noout -serial -issuer';
      const result = await lab!.run('client', ['bash', '-c', `set -o pipefail; ${command}`], { timeoutMs: 15_000 });
      expect(result.code, `${node.host}: ${result.stderr}`).toBe(0);
      const serial = /serial=(\w+)/.exec(result.stdout)?.[1];
      const issuer = /issuer=(.*)/.exec(result.stdout)?.[1]?.trim();
      seen.push(`${node.host} ${serial} ${issuer}`);
    }
    const issuer = execFileSync('openssl', ['x509', '-in', caCertificate, '-noout', '-subject'], { encoding: 'utf8' }).trim().replace(/^subject=/, '');
    expect(seen).toEqual(cluster.nodes.map((n) => `${n.host} ${stored[n.host]!.serial} ${issuer}`));
    expect(new Set(cluster.nodes.map((n) => stored[n.host]!.serial)).size).toBe(cluster.nodes.length);
  });

  it('HAProxy passes AMQP and the management API over TLS through, and openssl verifies the nodes\' certificate there', async () => {
    await waitForStates(Object.fromEntries(cluster.nodes.map((n) => [`management-tls/${n.host}`, 'UP'])), 60_000);
    const balanced = cluster.listeners.filter((l) => l.access === 'balanced').map((l) => l.port);
    expect(balanced).toEqual([cluster.ports.amqps, cluster.ports.managementTls]);
    for (const port of balanced) expect(await verifiedHandshake(lbHost, port), `${lbHost}:${port}`).toEqual({ code: 0, verify: 'Verify return code: 0 (ok)' });
    // The API itself answers through HAProxy over TLS (its health endpoint needs no credentials).
    const health = await lab!.run('client', ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', '--cacert', caCertificate, `https://${lbHost}:${cluster.ports.managementTls}/api/overview`]);
    expect(health.stdout).toBe('401');
  });

  it('the nodes serve Prometheus metrics over TLS, verified against the CA', async () => {
    const metrics = await lab!.run('client', ['curl', '-sf', '--max-time', '5', '--cacert', caCertificate, `https://${cluster.nodes[0]!.host}:${cluster.ports.prometheusTls}/metrics`]);
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(/^rabbitmq_build_info\{/m);
  });

  it('every switched-off plain port refuses a connection, on the nodes and on HAProxy', async () => {
    const plain = [cluster.ports.amqp, cluster.ports.management, cluster.ports.prometheus, cluster.ports.stream];
    const probes: string[] = [];
    for (const [host, ports] of [...cluster.nodes.map((n) => [n.host, plain] as const), [lbHost, [cluster.ports.amqp, cluster.ports.management]] as const]) {
      for (const port of ports) {
        const probe = await lab!.run('client', ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`]);
        probes.push(`${host}:${port} ${probe.code === 0 ? 'open' : /refused/i.test(probe.stderr) ? 'refused' : probe.stderr.trim()}`);
      }
    }
    expect(probes).toEqual([...cluster.nodes.flatMap((n) => plain.map((p) => `${n.host}:${p} refused`)), `${lbHost}:${cluster.ports.amqp} refused`, `${lbHost}:${cluster.ports.management} refused`]);
  });

  it('a killed node fails the check and is marked down; clients carry on through the others', async () => {
    const victim = nodes[2]!;
    const killedAt = Date.now();
    await victim.server.kill('SIGKILL');
    await waitForStates({ [`amqps/${victim.host}`]: 'DOWN' }, 20_000);
    const downMs = Date.now() - killedAt;
    console.log(`amqps/${victim.host} marked DOWN ${downMs} ms after SIGKILL`);
    expect(downMs).toBeLessThan(10_000);
    const result = await runClient('tls.after-kill', 50);
    expect(result).toMatchObject({ authorized: true, consumed: 50, inOrder: true });
  });
});
