/** Rules of the `tls` section: a CA where client certificates are verified, and a listener HAProxy can check. */
import type { Problem } from '../core/problems';
import { error, type Rule } from '../core/rule';

export const tlsRule: Rule = (spec) => {
  const { tls } = spec;
  if (!tls) return [];
  const problems: Problem[] = [];
  if (tls.verifyPeer && tls.caCertificate === undefined) {
    problems.push(
      error('tls.caCertificate', undefined, 'is missing while tls.verifyPeer is true; give the CA that signs client certificates ("file:<path>" or "env:<VARIABLE>"), or set verifyPeer to false'),
    );
  }
  if (spec.loadBalancer && tls.verifyPeer && !tls.plainListener) {
    // HAProxy passes TLS through and has no client certificate: its TLS check would fail on every node.
    problems.push(
      error(
        'tls.plainListener',
        false,
        'leaves HAProxy nothing to check: with verifyPeer the TLS listener refuses its health check, which has no client certificate; keep plainListener true (HAProxy then checks the plain AMQP port) or set verifyPeer to false',
      ),
    );
  }
  return problems;
};
