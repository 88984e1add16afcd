/**
 * cert-manager's Certificate (tls.certManager): cert-manager issues the nodes' certificate into the `kubernetes.io/tls`
 * Secret the StatefulSet mounts, instead of a Secret the chart makes from the spec's material. cdk8s-plus has no type
 * for the CRD, so it is a plain ApiObject; the model decides every field (model/tls/cert-manager.ts).
 */
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { CertManagerCertificateRequest, ResolvedCluster } from '../model/internal';
import { labelsOf } from './labels';

export const CERT_MANAGER_API = 'cert-manager.io/v1';

export interface NodesCertificateProps {
  readonly cluster: ResolvedCluster;
  readonly request: CertManagerCertificateRequest;
}

export class NodesCertificate extends Construct {
  constructor(scope: Construct, id: string, props: NodesCertificateProps) {
    super(scope, id);
    const { cluster, request } = props;
    new ApiObject(this, 'Resource', {
      apiVersion: CERT_MANAGER_API,
      kind: 'Certificate',
      metadata: { name: cluster.name, namespace: cluster.kubernetes.namespace, labels: labelsOf(cluster, 'broker') },
      spec: {
        secretName: request.secretName,
        // The Secret carries the cluster's labels too, so `kubectl get secret -l` finds it with the rest.
        secretTemplate: { labels: labelsOf(cluster, 'broker') },
        issuerRef: { name: request.issuer.name, kind: request.issuer.kind, group: 'cert-manager.io' },
        dnsNames: [...request.dnsNames],
        ...(request.ipAddresses.length > 0 && { ipAddresses: [...request.ipAddresses] }),
        usages: [...request.usages],
        privateKey: { ...request.privateKey },
      },
    });
  }
}
