/** Shared by the HAProxy and Keepalived tests: examples with a load balancer, fixture secrets. */
import { resolveCluster, type ClusterSpec, type ResolvedCluster, type SecretValues } from '../../model';
import { exampleNames, fixtureSecrets, loadExample } from '../support/fixtures';

/** Every example with a loadBalancer section, resolved. */
export function loadBalancedExamples(): { name: string; cluster: ResolvedCluster }[] {
  return exampleNames()
    .map((file) => ({ name: file.replace(/\.yaml$/, ''), cluster: resolveCluster(loadExample(file) as ClusterSpec) }))
    .filter(({ cluster }) => cluster.loadBalancer !== undefined);
}

/** Obviously fake secrets; the VRRP password fits PASS's 8 characters. */
export function lbFixtureSecrets(cluster: ResolvedCluster): SecretValues {
  return { ...fixtureSecrets(cluster), 'keepalived-auth-pass': 'fakepass' };
}
