/**
 * warren-tls-expiry (vm/tls-expiry.ts) run by bash against certificates made by the real openssl: it writes each
 * certificate's notAfter (as node's X509Certificate reads it) in a file that `promtool check metrics` accepts, 0 for a
 * missing one; and tls.expiryWarningDays sets the alert's threshold, with an exact error outside 1-365.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alertRulesOf, resolveCluster, TLS_EXPIRY_METRIC, vmRuleOptions, type ClusterSpec } from '../../model';
import { tlsPathsIn } from '../../model/internal';
import { renderTlsExpiryScript } from '../../vm/tls-expiry';
import { loadExample } from '../support/fixtures';
import { createTestCa, issueTestCertificate } from '../tls/certificates';

const work = mkdtempSync(join(tmpdir(), 'warren-tls-expiry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec = loadExample('tls-4.3.yaml') as ClusterSpec;
const cluster = resolveCluster(spec);
const node = cluster.nodes[0]!;
const notAfter = (file: string) => Math.floor(Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000);

function runScript(tlsFolder: string, textfiles: string) {
  const script = join(work, 'tls-expiry.sh');
  writeFileSync(script, renderTlsExpiryScript(cluster, node, tlsPathsIn(tlsFolder)), { mode: 0o755 });
  const run = spawnSync('bash', [script], { env: { ...process.env, WARREN_TEXTFILE_DIRECTORY: textfiles }, encoding: 'utf8' });
  return { ...run, metrics: readFileSync(join(textfiles, 'warren_tls.prom'), 'utf8') };
}

describe('warren-tls-expiry against real certificates', () => {
  const tls = join(work, 'tls');
  createTestCa(tls);
  const issued = issueTestCertificate(tls, tls, { names: [node.host], addresses: [node.address!] }, 10);
  const series = (path: string) => `${TLS_EXPIRY_METRIC}{rabbitmq_cluster="${cluster.name}",rabbitmq_node="${node.nodeName}",path="${path}"}`;

  it("writes each certificate's notAfter (a 10-day server certificate, a 90-day CA) in a file promtool check metrics accepts", () => {
    const run = runScript(tls, join(work, 'textfiles'));
    expect([run.status, run.stderr]).toEqual([0, '']);
    const samples = run.metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toEqual([`${series(issued.certificate)} ${notAfter(issued.certificate)}`, `${series(join(tls, 'ca_certificate.pem'))} ${notAfter(join(tls, 'ca_certificate.pem'))}`]);
    // The server certificate ends within the default 30 days, the CA after them.
    const now = Date.now() / 1000;
    expect(notAfter(issued.certificate) - now).toBeLessThan(cluster.tls!.expiryWarningDays * 86_400);
    expect(notAfter(join(tls, 'ca_certificate.pem')) - now).toBeGreaterThan(cluster.tls!.expiryWarningDays * 86_400);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: run.metrics, encoding: 'utf8' });
    expect([check.status, check.stdout + check.stderr]).toEqual([0, '']);
  });

  it('writes 0 for a certificate that is gone, and names it, so that the alert fires rather than going silent', () => {
    const other = join(work, 'tls-without-ca');
    createTestCa(other);
    unlinkSync(join(other, 'ca_certificate.pem'));
    const server = issueTestCertificate(other, tls, { names: [node.host], addresses: [node.address!] });
    const run = runScript(other, join(work, 'textfiles-2'));
    expect(run.status).toBe(0);
    expect(run.stderr).toBe(`warren-tls-expiry: ${join(other, 'ca_certificate.pem')} is missing or not a PEM certificate\n`);
    expect(run.metrics).toContain(`${series(server.certificate)} ${notAfter(server.certificate)}\n`);
    expect(run.metrics).toContain(`${series(join(other, 'ca_certificate.pem'))} 0\n`);
  });
});

describe('tls.expiryWarningDays', () => {
  const expiryRule = (days?: number) =>
    alertRulesOf(resolveCluster({ ...spec, tls: { ...spec.tls!, expiryWarningDays: days } } as ClusterSpec), vmRuleOptions(cluster)).find((r) => r.name === 'RabbitmqTlsCertificateExpiresSoon')!;

  it('sets the threshold of RabbitmqTlsCertificateExpiresSoon (30 days unless given)', () => {
    expect(expiryRule().expr).toBe(`min by (rabbitmq_node, path) (${TLS_EXPIRY_METRIC}{rabbitmq_cluster="${cluster.name}"}) - time() < 2592000`);
    expect(expiryRule(7).expr.endsWith(' - time() < 604800')).toBe(true);
    expect(expiryRule(7).summary).toBe(`A TLS certificate of RabbitMQ cluster ${cluster.name} expires within 7 days`);
  });

  it('errors when it is not 1 to 365, naming the field, the value and the fix', () => {
    for (const days of [0, 400, 1.5]) {
      expect(() => resolveCluster({ ...spec, tls: { ...spec.tls!, expiryWarningDays: days } } as ClusterSpec), String(days)).toThrow(
        days === 1.5 ? 'tls.expiryWarningDays: "1.5" is not a whole number of days; give e.g. 30' : `tls.expiryWarningDays: "${days}" is not a number of days before expiry; give 1 to 365, e.g. 30`,
      );
    }
  });
});
