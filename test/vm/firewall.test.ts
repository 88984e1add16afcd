/**
 * The hosts' nftables rules: the spec section's validation (exact messages), the rules derived for each host, every
 * example's hosts checked by the real `nft -c`, and the ruleset loaded twice by the real `nft -f` in a network
 * namespace of its own (idempotent, other tables untouched).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, hostFirewallsOf, resolveCluster, validateSpec, type ClusterSpec } from '../../model';
import { tcpPortsOpenTo } from '../../model/internal';
import { FIREWALL_RULES_PATH, vmBundleFiles } from '../../vm';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';

const scratch = mkdtempSync(join(tmpdir(), 'warren-firewall-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fenced = loadExample('firewall-4.3.yaml') as Record<string, any>;
const problemsOf = (spec: unknown): string[] => {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
};
const withFirewall = (firewall: Record<string, unknown>, base: Record<string, any> = fenced) => ({ ...base, firewall: { ...base.firewall, ...firewall } });

describe('firewall section', () => {
  it('is off by default: no bundle gets a firewall file', () => {
    const cluster = resolveCluster(loadExample('lb-vm-4.3.yaml') as ClusterSpec);
    expect(cluster.firewall).toBeUndefined();
    expect(vmBundleFiles(cluster, fixtureSecrets(cluster)).filter((f) => f.path.includes('warren/firewall'))).toEqual([]);
  });

  it('errors name the field, the value and the fix', () => {
    expect(problemsOf(withFirewall({ clients: ['10.0.60.0/24', '10.0.60.7', '10.0.60/24'], monitoring: ['10.0.9.50/24'] }))).toEqual([
      'firewall.clients[1]: "10.0.60.7" has no prefix length; write "10.0.60.7/32" for that one host, or its network (e.g. "10.0.60.0/24")',
      'firewall.clients[2]: "10.0.60/24" is not an IPv4 network in CIDR notation; write an address and a prefix length 1-32 for applications (e.g. "10.0.1.0/24")',
      'firewall.monitoring[0]: "10.0.9.50/24" has bits set beyond its prefix length (nft would widen it to 10.0.9.0/24); write "10.0.9.0/24" for the network, or "10.0.9.50/32" for that one host',
    ]);
    expect(problemsOf(withFirewall({ admins: [] }))).toEqual([
      'firewall.admins: "[]" is empty while firewall.enabled is true: every host would drop ssh and the management API from everyone; give the operators\' networks (e.g. ["10.0.9.0/24"])',
    ]);
    const counted = { ...withFirewall({}), nodes: 3, loadBalancer: undefined };
    expect(problemsOf(counted)).toEqual([
      'nodes: "3" is a node count, whose hosts have no addresses, while firewall.enabled is true: the rules admit cluster peers by address; list the nodes as { host, address }, or set firewall.enabled to false',
    ]);
    const unaddressed = { ...withFirewall({}), nodes: [...fenced.nodes.slice(0, 2), { host: 'fenced-3' }] };
    expect(problemsOf(unaddressed)).toEqual([
      'nodes[2].address: is missing while other nodes have one; give every node an address, or none',
      'nodes[2].address: is missing for fenced-3 while firewall.enabled is true: the rules admit cluster peers by address; give its IPv4 address, or set firewall.enabled to false',
    ]);
  });

  it('admits each source to exactly its ports, derived from the spec', () => {
    const cluster = resolveCluster(fenced as ClusterSpec);
    const hosts = hostFirewallsOf(cluster);
    expect(hosts.map((h) => `${h.host}:${h.role}`)).toEqual(['fenced-1:node', 'fenced-2:node', 'fenced-3:node', 'fenced-lb-1:load-balancer', 'fenced-lb-2:load-balancer']);
    const node = hosts[0]!;
    const lb = hosts[3]!;
    const streamReplication = Array.from({ length: 501 }, (_, i) => 6000 + i);
    expect(tcpPortsOpenTo(node, '10.0.50.12')).toEqual([4369, ...streamReplication, 25672]);
    expect(tcpPortsOpenTo(node, '10.0.50.21')).toEqual([5672, 15672, 15680]);
    expect(tcpPortsOpenTo(node, '10.0.60.33')).toEqual([5552, 5672]);
    expect(tcpPortsOpenTo(node, '10.0.9.4')).toEqual([22, 15672]);
    expect(tcpPortsOpenTo(node, '10.0.9.50')).toEqual([22, 15672, 15692]);
    expect(tcpPortsOpenTo(node, '10.0.50.11')).toEqual([]);
    expect(tcpPortsOpenTo(node, '192.168.1.1')).toEqual([]);
    expect(tcpPortsOpenTo(lb, '10.0.60.33')).toEqual([5672]);
    expect(tcpPortsOpenTo(lb, '10.0.9.4')).toEqual([22, 8404, 15672]);
    expect(tcpPortsOpenTo(lb, '10.0.50.12')).toEqual([]);
    expect(lb.allows.filter((a) => a.match.kind === 'vrrp').map((a) => a.sources)).toEqual([['10.0.50.22']]);
    // Ports follow the spec: moved listeners move their rules, no stream replication without streams.
    const moved = resolveCluster({ ...fenced, plugins: ['rabbitmq_management'], ports: { amqp: 5700, management: 15700 }, firewall: { ...fenced.firewall, sshPort: 2222 } } as ClusterSpec);
    const movedNode = hostFirewallsOf(moved)[0]!;
    expect(tcpPortsOpenTo(movedNode, '10.0.50.12')).toEqual([4369, 25672]);
    expect(tcpPortsOpenTo(movedNode, '10.0.9.4')).toEqual([2222, 15700]);
    expect(tcpPortsOpenTo(movedNode, '10.0.60.33')).toEqual([5700]);
  });
});

/** Each example as written, or with the firewall switched on where its nodes have addresses. */
function examplesWithFirewall(): { name: string; spec: ClusterSpec }[] {
  return exampleNames().flatMap((name) => {
    const spec = loadExample(name) as Record<string, any>;
    if (spec.firewall?.enabled) return [{ name, spec: spec as ClusterSpec }];
    if (!Array.isArray(spec.nodes)) return [];
    return [{ name: `${name} (firewall on)`, spec: { ...spec, firewall: { enabled: true, clients: ['192.0.2.0/24'], admins: ['198.51.100.0/24'], monitoring: ['203.0.113.9/32'] } } as ClusterSpec }];
  });
}

describe('the real nft', () => {
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  it('is installed (apt-get install nftables; .ci/run installs it)', () => {
    expect(nft.status, nft.stderr).toBe(0);
  });

  const examples = examplesWithFirewall();
  it('has examples to check: every example with node addresses', () => {
    expect(examples.map((e) => e.name)).toEqual(expect.arrayContaining(['firewall-4.3.yaml', 'lb-vm-4.3.yaml (firewall on)', 'tls-3.10.yaml (firewall on)']));
  });

  it.each(examples)('nft -c accepts every host\'s rules of $name', ({ spec }) => {
    const cluster = resolveCluster(spec);
    const files = vmBundleFiles(cluster, fixtureSecrets(cluster)).filter((f) => f.path.endsWith(FIREWALL_RULES_PATH));
    expect(files).toHaveLength(cluster.nodes.length + (cluster.loadBalancer?.hosts.length ?? 0));
    for (const file of files) {
      const path = join(scratch, file.path.replaceAll('/', '_'));
      writeFileSync(path, file.content);
      const check = spawnSync('nft', ['-c', '-f', path], { encoding: 'utf8' });
      expect(check.status, `${file.path}: ${check.stderr}`).toBe(0);
    }
  });

  it('nft -c refuses a broken ruleset (the check can fail)', () => {
    const path = join(scratch, 'broken.nft');
    writeFileSync(path, 'table inet warren {\n\tchain input {\n\t\tip saddr { 10.0.0.1 } tcp dport 70000 accept\n\t}\n}\n');
    expect(spawnSync('nft', ['-c', '-f', path]).status).not.toBe(0);
  });

  it('nft -f in a network namespace: loaded twice gives the same table, and another table stays', () => {
    const cluster = resolveCluster(fenced as ClusterSpec);
    const rules = vmBundleFiles(cluster, fixtureSecrets(cluster)).find((f) => f.path === `vm/fenced-1/${FIREWALL_RULES_PATH.slice(1)}`)!;
    const path = join(scratch, 'fenced-1.nft');
    writeFileSync(path, rules.content);
    const script = [
      'set -e',
      "nft add table inet other; nft add chain inet other input '{ type filter hook input priority 10; policy accept; }'; nft add rule inet other input tcp dport 9999 accept",
      `nft -f ${path}`,
      'first=$(nft list table inet warren)',
      `nft -f ${path}`,
      'second=$(nft list table inet warren)',
      '[ "$first" = "$second" ] || { echo "the second load changed the table"; exit 3; }',
      'printf "%s\\n" "$second"',
      'echo ---',
      'nft list table inet other',
    ].join('\n');
    const out = execFileSync('unshare', ['--net', 'bash', '-c', script], { encoding: 'utf8' });
    const [warren, other] = out.split('---\n');
    expect(warren).toContain('policy drop;');
    expect(warren).toContain('ip saddr { 10.0.50.12, 10.0.50.13 } tcp dport { 4369, 25672 } accept comment "epmd and Erlang distribution from the cluster\'s nodes"');
    expect(warren!.match(/accept comment/g)).toHaveLength(hostFirewallsOf(cluster)[0]!.allows.length);
    expect(other).toContain('tcp dport 9999 accept');
  });
});
