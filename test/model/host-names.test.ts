import { describe, expect, it } from 'vitest';
import { formatProblem, resolveCluster, validateSpec } from '../../model';

function problemsOf(spec: unknown): string[] {
  const result = validateSpec(spec);
  return (result.ok ? result.warnings : result.problems).map(formatProblem);
}

const named = (length: number, first = 'o') => `${first}${'r'.repeat(length - 1)}`;
/** A name as messages quote it: cut after 60 characters. */
const shown = (name: string) => (name.length > 60 ? `${name.slice(0, 60)}... (${name.length} characters)` : name);
const hosts = (count: number) => Array.from({ length: count }, (_, i) => ({ host: `rmq-${i + 1}` }));

describe('host names derived from the cluster name fit in 63 characters', () => {
  it('GIVEN 61 characters and 3 nodes THEN <name>-3 has 63 and the spec is accepted apart from the Kubernetes warnings', () => {
    const name = named(61);
    expect(problemsOf({ name, nodes: 3 })).toEqual([
      `warning: name: "${shown(name)}" is 61 characters; a Kubernetes StatefulSet name over 52 characters breaks its pods' controller-revision-hash label; shorten it if you deploy to Kubernetes`,
      `warning: name: "${shown(name)}" gives the headless Service name (name + "-nodes") 67 characters, over the 63 Kubernetes allows; shorten it to 57 characters or fewer if you deploy to Kubernetes`,
    ]);
  });

  it('GIVEN 62 characters and 3 nodes, or 61 and 12 nodes THEN the error names the longest host name and the length that fits', () => {
    expect(problemsOf({ name: named(62), nodes: 3 })[0]).toBe(
      `name: "${shown(named(62))}" gives node host names (name + "-" + number) of up to 64 characters with 3 nodes, over the 63 a host name may have; shorten it to 61 characters or fewer, or list the hosts under nodes`,
    );
    expect(problemsOf({ name: named(61), nodes: 12 })[0]).toBe(
      `name: "${shown(named(61))}" gives node host names (name + "-" + number) of up to 64 characters with 12 nodes, over the 63 a host name may have; shorten it to 60 characters or fewer, or list the hosts under nodes`,
    );
  });

  it('GIVEN a listed 63-character name with 11 hosts THEN Kubernetes pod names (<name>-10) are warned about, not the listed hosts', () => {
    const name = named(63);
    expect(problemsOf({ name, nodes: hosts(11) }).filter((p) => p.includes('pod host names'))).toEqual([
      `warning: name: "${shown(name)}" gives pod host names (name + "-" + ordinal) of up to 66 characters, over the 63 a host name may have; shorten it to 60 characters or fewer if you deploy to Kubernetes`,
    ]);
  });

  it('GIVEN a name that starts with a digit THEN Kubernetes would refuse its Services', () => {
    expect(problemsOf({ name: '1orders' })).toEqual([
      'warning: name: "1orders" starts with a digit, but Kubernetes Service names start with a letter, so the client and headless Services would be refused; start it with a letter if you deploy to Kubernetes',
    ]);
  });

  it('GIVEN the longest names the spec accepts (63-character name and namespace, 1000 hosts, no per-node ports to clash in compose) THEN the pod FQDN stays within 253 and the Erlang node name within 255', () => {
    // These bounds follow from the 63-character labels: no rule is needed while the derivations keep their suffixes.
    const cluster = resolveCluster({ name: named(63), nodes: hosts(1000), plugins: [], kubernetes: { namespace: named(63, 'n') } });
    const k8s = cluster.kubernetes;
    const pod = `${k8s.names.statefulSet}-${k8s.replicas - 1}`;
    const fqdn = `${pod}.${k8s.names.headlessService}.${k8s.namespace}.svc.cluster.local`;
    const nodeName = k8s.nodeNamePattern.replace('$(MY_POD_NAME)', pod).replace('$(MY_POD_NAMESPACE)', k8s.namespace);
    expect(fqdn.length).toBe(219);
    expect(fqdn.length).toBeLessThanOrEqual(253);
    expect(nodeName.length).toBe(208);
    expect(nodeName.length).toBeLessThanOrEqual(255);
  });
});
