import { describe, expect, it } from 'vitest';
import { formatProblem, validateSpec } from '../../model';

function problemsOf(spec: unknown): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

const tls = { certificate: 'file:tls/cert.pem', privateKey: 'file:tls/key.pem' };

describe('port clashes: each cause gets advice that resolves it', () => {
  it.each([
    ['two listeners on one port', { name: 'a', ports: { management: 5672 } }, { name: 'a', ports: { management: 15672 } }, 'ports.management: "5672" is also ports.amqp; give each listener its own port'],
    [
      'a listener in the CLI tools range',
      { name: 'a', ports: { prometheus: 35672 } },
      { name: 'a', ports: { prometheus: 35683 } },
      'ports.prometheus: "35672" falls in 35672-35682, which the CLI tools use (ports.distribution + 10000 to + 10010); choose a port outside that range',
    ],
    [
      "a listener on the majority agent's port",
      { name: 'a', ports: { management: 15680 } },
      { name: 'a', ports: { management: 15681 } },
      "ports.management: \"15680\" is the port of warren's majority agent, which runs on every node; choose another port",
    ],
    [
      'a distribution port no target passes to the nodes',
      { name: 'a', ports: { distribution: 30000 } },
      { name: 'a', ports: { distribution: 25672 } },
      'ports.distribution: "30000" is not passed to the nodes by any target yet, so they keep 25672 while the majority agent, load balancers and NetworkPolicy would use 30000; leave it at 25672',
    ],
    [
      'compose node ports overlapping between listeners',
      { name: 'a', nodes: 25, ports: { management: 5690 } },
      { name: 'a', nodes: 25, ports: { management: 5690, amqp: 5715 } },
      'ports.amqp: "5672" gives a-19 host port 5690 in the compose target, already published for a-1 (management); each listener needs 25 consecutive host ports (one per node), so move ports.amqp to 5715, or use fewer nodes',
    ],
    [
      'the stats page on a node-published port',
      { name: 'a', loadBalancer: { haproxy: { statsPort: 15693 } } },
      { name: 'a', loadBalancer: { haproxy: { statsPort: 15695 } } },
      'loadBalancer.haproxy.statsPort: "15693" gives haproxy host port 15693 in the compose target, already published for a-2 (prometheus); choose a statsPort nothing else publishes, e.g. 15695',
    ],
    [
      'the stats page on a port HAProxy balances (amqps with TLS)',
      { name: 'a', tls, loadBalancer: { haproxy: { statsPort: 5671 } } },
      { name: 'a', tls, loadBalancer: { haproxy: { statsPort: 8404 } } },
      'loadBalancer.haproxy.statsPort: "5671" is also ports.amqps, which HAProxy listens on as well; choose another port (e.g. 8404)',
    ],
    [
      'amqps counting down below port 1',
      { name: 'a', nodes: 5, tls, ports: { amqps: 3 } },
      { name: 'a', nodes: 5, tls, ports: { amqps: 5 } },
      'ports.amqps: "3" gives host port -1 in the compose target (a TLS listener counts down one port per node); use ports.amqps of at least 5',
    ],
    [
      'an offset past 65535',
      { name: 'a', compose: { hostPortOffset: 60000 } },
      { name: 'a', compose: { hostPortOffset: 49841 } },
      'compose.hostPortOffset: "60000" pushes published ports past 65535 (up to 75694); use an offset of at most 49841',
    ],
  ])('GIVEN %s WHEN validated THEN one error gives the fix, and the spec with that fix applied is accepted', (_, bad, fixed, message) => {
    expect(problemsOf(bad)).toEqual([message]);
    expect(problemsOf(fixed)).toEqual([]);
  });

  it('GIVEN a stats port on the management port without the management plugin, or 15680 where nodes pause themselves THEN nothing clashes', () => {
    expect(problemsOf({ name: 'a', plugins: [], loadBalancer: { haproxy: { statsPort: 15672 } } })).toEqual([]);
    expect(problemsOf({ name: 'a', rabbitmq: { version: '3.13' }, partitionHandling: { mode: 'pause_minority' }, ports: { management: 15680 } })).toEqual([]);
  });
});
