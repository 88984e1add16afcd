/**
 * The deployment view of each target: ports from cluster.listeners and the compose port plan, the virtual IP
 * and which load balancer holds it by VRRP priority.
 */
import { describe, expect, it } from 'vitest';
import { deploymentDiagram, type Diagram } from '../../graph';
import { DEFAULT_SPEC, resolveCluster, type ClusterSpec } from '../../model';
import { loadExample } from '../support/fixtures';

const named = (d: Diagram, name: string) => d.nodes.find((n) => n.lines[0] === name)!;
const edgesFrom = (d: Diagram, name: string) => d.edges.filter((e) => e.from === named(d, name).id).map((e) => [d.nodes.find((n) => n.id === e.to)!.lines[0], e.kind, e.label]);

describe('deployment view', () => {
  it('vm: clients reach the virtual IP, held by the load balancer of highest priority, which balances over every node', () => {
    const d = deploymentDiagram(resolveCluster(loadExample('lb-vm-4.3.yaml') as ClusterSpec), 'vm');
    expect(edgesFrom(d, 'applications and operators')).toEqual([['virtual IP 10.0.0.100/24', 'traffic', 'amqp 5672, management 15672']]);
    expect(edgesFrom(d, 'virtual IP 10.0.0.100/24')).toEqual([
      ['lb-1', 'vrrp', 'held at priority 100'],
      ['lb-2', 'vrrp', 'backup, priority 90'],
    ]);
    expect(edgesFrom(d, 'lb-2')).toEqual(['rmq-1', 'rmq-2', 'rmq-3'].map((host) => [host, 'traffic', 'amqp 5672, management 15672']));
    expect(named(d, 'rmq-1').lines).toEqual(['rmq-1', '10.0.0.11', 'rabbit@rmq-1', 'amqp 5672, management 15672, prometheus 15692']);
    expect(edgesFrom(d, 'Prometheus').map((e) => e[2])).toEqual(['prometheus 15692', 'prometheus 15692', 'prometheus 15692']);
  });

  it('vm: the priorities written in the spec decide which host is drawn holding the VIP', () => {
    const spec = loadExample('lb-vm-4.3.yaml') as { loadBalancer: { hosts: { priority?: number }[] } };
    spec.loadBalancer.hosts[0]!.priority = 50;
    spec.loadBalancer.hosts[1]!.priority = 150;
    const d = deploymentDiagram(resolveCluster(spec as ClusterSpec), 'vm');
    expect(edgesFrom(d, 'virtual IP 10.0.0.100/24')).toEqual([
      ['lb-1', 'vrrp', 'backup, priority 50'],
      ['lb-2', 'vrrp', 'held at priority 150'],
    ]);
  });

  it('compose: the host ports of the compose port plan, HAProxy in front and each node scraped on its own port', () => {
    const d = deploymentDiagram(resolveCluster(DEFAULT_SPEC), 'compose');
    expect(edgesFrom(d, 'applications and operators')).toEqual([
      ['container haproxy', 'traffic', '127.0.0.1:5672 → amqp 5672, 127.0.0.1:15672 → management 15672, 127.0.0.1:8404 → stats 8404'],
    ]);
    expect(edgesFrom(d, 'Prometheus').map((e) => e[2])).toEqual(['127.0.0.1:15692 → prometheus 15692', '127.0.0.1:15693 → prometheus 15692', '127.0.0.1:15694 → prometheus 15692']);
  });

  it('compose without a load balancer: clients reach each node on its own published ports', () => {
    const d = deploymentDiagram(resolveCluster({ name: 'direct', nodes: 2 } as ClusterSpec), 'compose');
    expect(edgesFrom(d, 'applications and operators').map((e) => e[2])).toEqual(['127.0.0.1:5672 → amqp 5672', '127.0.0.1:5673 → amqp 5672']);
  });

  it('kubernetes: pods behind the client Service, names from the resolved Kubernetes settings', () => {
    const d = deploymentDiagram(resolveCluster(DEFAULT_SPEC), 'kubernetes');
    expect(named(d, 'pod rabbit-2').lines).toEqual(['pod rabbit-2', 'rabbit@rabbit-2.rabbit-nodes.default', 'amqp 5672, management 15672, prometheus 15692']);
    expect(edgesFrom(d, 'Service rabbit')).toHaveLength(3);
    expect(edgesFrom(d, 'applications')).toEqual([['Service rabbit', 'traffic', 'amqp 5672, management 15672']]);
  });
});
