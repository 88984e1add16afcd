import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, SpecError, validateSpec } from '../../model';

/** Every problem of a spec, formatted as the user sees it. */
function problemsOf(spec: unknown): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

describe('validateSpec', () => {
  it('accepts the smallest spec and applies every default', () => {
    const result = validateSpec({ name: 'orders' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.spec).toMatchObject({
      rabbitmq: { version: '4.3' },
      nodes: 3,
      partitionHandling: { mode: 'autoheal' },
      plugins: ['rabbitmq_management', 'rabbitmq_prometheus'],
      defaultUser: { name: 'admin', password: 'generate', tags: ['administrator'] },
      erlangCookie: 'generate',
      resources: { memoryHighWatermark: 0.6, diskFreeLimit: '2GB' },
      queues: { defaultType: 'quorum' },
      compose: { bindAddress: '127.0.0.1', hostPortOffset: 0 },
    });
    expect(result.warnings).toEqual([]);
  });

  it('errors on wrong types, bad names and unknown keys, all at once, with did-you-mean', () => {
    expect(
      problemsOf({
        name: 'Orders.prod',
        nodes: 'three',
        ports: { amqp: 'x', management: 70000 },
        heartbeatSeconds: 1.5,
        partitionHandlng: { mode: 'autoheal' },
        defaultUser: { tags: ['admin'], passwrd: 'x' },
        erlangCookie: 'secret123',
      }),
    ).toEqual([
      `name: "Orders.prod" is not a DNS-1123 label; use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. "orders")`,
      'nodes: "three" is neither a node count nor a list of hosts; write a number such as 3, or a list of { host, address }',
      'ports.amqp: "x" is not a port number; give an integer between 1 and 65535',
      'ports.management: "70000" is not a port number; give an integer between 1 and 65535',
      'heartbeatSeconds: "1.5" is not a whole number of seconds; give an integer such as 60',
      'defaultUser.tags[0]: "admin" is not allowed; use one of "administrator", "monitoring", "policymaker", "management", "impersonator"',
      'defaultUser.passwrd: is not a known key; did you mean "password"?',
      'erlangCookie: "secret123" is not a secret source; use "generate", "file:<path>" or "env:<VARIABLE>"',
      'partitionHandlng: is not a known key; did you mean "partitionHandling"?',
    ]);
  });

  it('errors when the spec is not an object or has no name', () => {
    expect(problemsOf('hello')).toEqual(['(spec): "hello" is not an object; give an object']);
    expect(problemsOf({})).toEqual(['name: is missing; it is required (a string)']);
  });

  it('errors on a node count of 0 and on an empty host list', () => {
    expect(problemsOf({ name: 'a', nodes: 0 })).toEqual(['nodes: "0" is below 1; a cluster needs at least one node (3 or 5 for quorum queues)']);
    expect(problemsOf({ name: 'a', nodes: [] })).toEqual(['nodes: "[]" is an empty list; name at least one host (3 or 5 for quorum queues)']);
  });

  it('errors on repeated hosts and addresses, and on addresses given for only some nodes', () => {
    expect(problemsOf({ name: 'a', nodes: [{ host: 'r1', address: '10.0.0.1' }, { host: 'r1', address: '10.0.0.1' }, { host: 'r3' }] })).toEqual([
      'nodes[1].host: "r1" is used by an earlier node; give every node its own host name',
      'nodes[1].address: "10.0.0.1" is used by an earlier node; give every node its own address',
      'nodes[2].address: is missing while other nodes have one; give every node an address, or none',
    ]);
  });

  it('errors on port clashes, including the CLI tools range', () => {
    expect(problemsOf({ name: 'a', ports: { management: 5672, prometheus: 35672 } })).toEqual([
      'ports.management: "5672" is also ports.amqp; give each listener its own port',
      'ports.prometheus: "35672" falls in 35672-35682, which the CLI tools use (ports.distribution + 10000 to + 10010); choose a port outside that range',
    ]);
    expect(problemsOf({ name: 'a', compose: { hostPortOffset: 60000 } })).toEqual([
      'compose.hostPortOffset: "60000" pushes published ports past 65535 (up to 75694); use an offset of at most 49841',
    ]);
    expect(problemsOf({ name: 'a', nodes: 3, loadBalancer: { haproxy: { statsPort: 15693 } } })).toEqual([
      'loadBalancer.haproxy.statsPort: "15693" gives haproxy host port 15693 in the compose target, already published for a-2 (prometheus); choose a statsPort nothing else publishes, e.g. 15695',
    ]);
    expect(problemsOf({ name: 'a', nodes: 25, ports: { management: 5690 } })).toEqual([
      'ports.amqp: "5672" gives a-19 host port 5690 in the compose target, already published for a-1 (management); each listener needs 25 consecutive host ports (one per node), so move ports.amqp to 5715, or use fewer nodes',
    ]);
  });

  it('warns (does not fail) on pause_minority with an even node count', () => {
    const result = validateSpec({ name: 'a', nodes: 4, partitionHandling: { mode: 'pause_minority' } });
    expect(result.ok).toBe(true);
    expect(problemsOf({ name: 'a', nodes: 4, partitionHandling: { mode: 'pause_minority' } })).toEqual([
      'warning: partitionHandling.mode: "pause_minority" with 4 nodes can pause every node when the cluster splits in half; use an odd number of nodes, or "autoheal"',
    ]);
    expect(problemsOf({ name: 'a', nodes: 3, partitionHandling: { mode: 'pause_minority' } })).toEqual([]);
  });

  it('errors on pause_if_all_down lists naming unknown nodes, and on contradictions', () => {
    expect(problemsOf({ name: 'a', partitionHandling: { mode: 'pause_if_all_down', pauseIfAllDown: { nodes: ['a-1', 'a-7', 'rabbit@a-2'] } } })).toEqual([
      'partitionHandling.pauseIfAllDown.nodes[1]: "a-7" is not a node of this cluster; did you mean "a-1"?',
    ]);
    expect(problemsOf({ name: 'a', partitionHandling: { mode: 'pause_if_all_down' } })).toEqual([
      'partitionHandling.pauseIfAllDown: is missing; mode "pause_if_all_down" needs { nodes: [<host>, ...], recover: ignore|autoheal }',
    ]);
    expect(problemsOf({ name: 'a', partitionHandling: { mode: 'autoheal', pauseIfAllDown: { nodes: ['a-1'] } } })).toEqual([
      'partitionHandling.pauseIfAllDown: "[\\"a-1\\"]" is set but mode is "autoheal"; set mode to "pause_if_all_down" or remove pauseIfAllDown',
    ]);
  });

  it('errors on classic mirroring policies for 4.x and only warns for 3.x', () => {
    const policy = { name: 'p', pattern: '.*', definition: { 'ha-mode': 'all' } };
    expect(problemsOf({ name: 'a', rabbitmq: { version: '4.0' }, topology: { policies: [policy] } })).toEqual([
      'topology.policies[0].definition["ha-mode"]: "all" is classic queue mirroring, removed in RabbitMQ 4.0; remove it and use quorum queues (queues.defaultType: quorum, or x-queue-type: quorum) for replication',
    ]);
    expect(validateSpec({ name: 'a', rabbitmq: { version: '3.13.7' }, topology: { policies: [policy] } }).ok).toBe(true);
    expect(problemsOf({ name: 'a', rabbitmq: { version: '3.13.7' }, topology: { policies: [policy] } })).toEqual([
      'warning: topology.policies[0].definition["ha-mode"]: "all" is classic queue mirroring, deprecated and removed in RabbitMQ 4.0; plan the move to quorum queues before upgrading',
    ]);
  });

  it('errors on a metadata store the version cannot run: Mnesia on 4.3, Khepri before 4.2', () => {
    expect(problemsOf({ name: 'a', rabbitmq: { version: '4.3.6', metadataStore: 'mnesia' } })).toEqual([
      'rabbitmq.metadataStore: "mnesia" is not available on RabbitMQ 4.3, which removed Mnesia; enable the khepri_db feature flag on 4.2 before upgrading (rabbitmqctl enable_feature_flag khepri_db), then remove metadataStore',
    ]);
    expect(problemsOf({ name: 'a', rabbitmq: { version: '4.1', metadataStore: 'khepri' } })).toEqual([
      'rabbitmq.metadataStore: "khepri" is not what RabbitMQ 4.1 runs: Khepri is the default from 4.2, before an opt-in feature flag (khepri_db) that warren does not enable; remove metadataStore, or use RabbitMQ 4.2 or later',
    ]);
    expect(problemsOf({ name: 'a', rabbitmq: { version: '3.13', metadataStore: 'khepri' } })[0]).toMatch(/^rabbitmq\.metadataStore: "khepri" is not what RabbitMQ 3\.13 runs/);
    expect(problemsOf({ name: 'a', rabbitmq: { version: '4.2', metadataStore: 'btree' } })).toEqual(['rabbitmq.metadataStore: "btree" is not allowed; use one of "khepri", "mnesia"']);
    for (const [version, metadataStore] of [['3.10.8', 'mnesia'], ['4.1', 'mnesia'], ['4.2', 'mnesia'], ['4.2', 'khepri'], ['4.3', 'khepri']]) {
      expect(problemsOf({ name: 'a', rabbitmq: { version, metadataStore } }), `${version} ${metadataStore}`).toEqual([]);
    }
  });

  it('errors on an unsupported version', () => {
    expect(problemsOf({ name: 'a', rabbitmq: { version: '5.0' } })).toEqual([
      'rabbitmq.version: "5.0" is not a supported RabbitMQ version; use MAJOR.MINOR[.PATCH] of 3.10, 3.11, 3.12, 3.13, 4.0, 4.1, 4.2, 4.3',
    ]);
    expect(problemsOf({ name: 'a', rabbitmq: { version: 4.3 } })).toEqual(['rabbitmq.version: "4.3" is not a version; write it as a string, e.g. "4.3" or "3.13.7"']);
  });

  it('errors on misspelt and repeated plugins, warns on third-party ones', () => {
    expect(problemsOf({ name: 'a', plugins: ['rabbitmq_managment', 'acme_plugin', 'rabbitmq_prometheus', 'rabbitmq_prometheus'] })).toEqual([
      'plugins[3]: "rabbitmq_prometheus" is listed twice; list each plugin once',
      'plugins[0]: "rabbitmq_managment" is not a RabbitMQ plugin; did you mean "rabbitmq_management"?',
      'warning: plugins[1]: "acme_plugin" is not shipped with RabbitMQ; make sure the image or package provides it',
    ]);
  });

  it('errors when the default user is guest', () => {
    expect(problemsOf({ name: 'a', defaultUser: { name: 'guest' } })).toEqual([
      'defaultUser.name: "guest" is the built-in user RabbitMQ limits to localhost; choose another name such as "admin"',
    ]);
  });

  it('errors on contradictions between the nodes and the load balancer', () => {
    expect(
      problemsOf({
        name: 'a',
        nodes: [{ host: 'r1', address: '10.0.0.1' }],
        loadBalancer: { virtualIp: '10.0.1.100/24', hosts: [{ host: 'r1', address: '10.0.0.1', priority: 100 }] },
      }),
    ).toEqual([
      'loadBalancer.hosts[0].host: "r1" is also a RabbitMQ node; give the load balancer its own host name',
      `loadBalancer.hosts[0].address: "10.0.0.1" is also a RabbitMQ node's address; give the load balancer its own address`,
      'loadBalancer.virtualIp: "10.0.1.100/24" needs at least two load-balancer hosts to fail over between (found 1); add hosts under loadBalancer.hosts or remove virtualIp',
      `loadBalancer.hosts[0].address: "10.0.0.1" is outside the virtual IP's network 10.0.1.100/24; put the virtual IP in the load-balancer hosts' subnet`,
    ]);
    expect(problemsOf({ name: 'a', loadBalancer: { virtualIp: '10.0.0.100', hosts: [{ host: 'lb1', address: '10.0.0.300' }] } })).toEqual([
      'loadBalancer.hosts[0].address: "10.0.0.300" is not an IPv4 address; write four numbers 0-255 separated by dots (e.g. "10.0.0.21")',
      'loadBalancer.virtualIp: "10.0.0.100" is not an IPv4 address with a prefix length; write it as CIDR (e.g. "10.0.0.100/24")',
    ]);
  });

  it('runs the cross-field rules even when the shape is wrong, without repeating what the shape errors said', () => {
    expect(
      problemsOf({
        name: 'a',
        nodes: 4,
        plugins: ['rabbitmq_management', 7],
        ports: { amqp: 'x', management: 15672, prometheus: 15672 },
        partitionHandling: { mode: 'pause_minority' },
      }),
    ).toEqual([
      'ports.amqp: "x" is not a port number; give an integer between 1 and 65535',
      'plugins[1]: "7" is not a string; give a string',
      'ports.prometheus: "15672" is also ports.management; give each listener its own port',
      'warning: partitionHandling.mode: "pause_minority" with 4 nodes can pause every node when the cluster splits in half; use an odd number of nodes, or "autoheal"',
    ]);
  });

  it('resolveCluster throws one SpecError listing every problem', () => {
    let thrown: unknown;
    try {
      resolveCluster({ name: 'a', nodes: 0, defaultUser: { name: 'guest' }, erlangCookie: 'plain' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SpecError);
    expect((thrown as SpecError).message).toBe(
      [
        'the spec has 3 errors:',
        '  nodes: "0" is below 1; a cluster needs at least one node (3 or 5 for quorum queues)',
        '  erlangCookie: "plain" is not a secret source; use "generate", "file:<path>" or "env:<VARIABLE>"',
        '  defaultUser.name: "guest" is the built-in user RabbitMQ limits to localhost; choose another name such as "admin"',
      ].join('\n'),
    );
  });
});
