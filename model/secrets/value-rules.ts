/** The spec's rules applied to secret values once an entry point has read or generated them. */
import type { Problem } from '../core/problems';
import type { ResolvedCluster } from '../resolve';
import { erlangCookieValueRule } from '../cluster/rules';
import { keepalivedAuthPassRule } from '../load-balancer/rules';
import { pemValueRule } from '../tls/rules';
import { connectionUriValueRule } from '../topology/rules';
import { secretSourceText, type SecretRef, type SecretValues } from './secrets';

/**
 * Problems with secret values an entry point has read (from `file:` or `env:`) or generated; a value it
 * does not have yet is skipped. Each problem names the spec path and quotes the source, never the value.
 */
export function secretValueRules(cluster: ResolvedCluster, values: Partial<SecretValues>): Problem[] {
  const judge = (ref: SecretRef | undefined, rule: (path: string, source: string, value: string) => Problem[]): Problem[] => {
    const value = ref && values[ref.id];
    return ref && value !== undefined ? rule(ref.path, secretSourceText(ref.source), value) : [];
  };
  const { tls, topology } = cluster;
  const uris = [
    ...topology.federationUpstreams.map((u) => u.uri),
    ...topology.shovels.flatMap((s) => [s.source.uri, s.destination.uri]),
  ].flatMap((uri) => (uri.kind === 'secret' ? [uri.secret] : []));
  return [
    ...judge(cluster.erlangCookie, erlangCookieValueRule),
    ...judge(cluster.loadBalancer?.keepalived.authPass, keepalivedAuthPassRule),
    ...judge(tls?.certificate, (path, source, value) => pemValueRule(path, source, value, 'certificate')),
    ...judge(tls?.privateKey, (path, source, value) => pemValueRule(path, source, value, 'private key')),
    ...judge(tls?.caCertificate, (path, source, value) => pemValueRule(path, source, value, 'certificate')),
    ...uris.flatMap((ref) => judge(ref, connectionUriValueRule)),
  ];
}
