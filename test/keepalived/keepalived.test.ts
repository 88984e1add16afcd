/**
 * keepalived.conf per load-balancer host for every example with a virtual IP: semantic
 * assertions, and Debian's keepalived 2.2.7 and 2.3 (`keepalived -t`, see test/support/load-balancer-programs.ts)
 * accepting each one with its check script at the real path. The test runs keepalived in private mount, network and PID namespaces, where /etc/keepalived is a temp
 * folder and /etc/passwd knows `keepalived_script`, and as PID 1 of a PID namespace: 2.2.7's config test
 * otherwise kills itself after checking a script of a non-root script_user (acassen/keepalived#2617,
 * fixed in 2.2.8).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HAPROXY_CHECK_SCRIPT_PATH,
  HAPROXY_CHECKER_STATE_DIR,
  HAPROXY_FAILING_FILE,
  haproxyProbeFromCluster,
  keepalivedConfigsFromCluster,
  renderHaproxyCheckScript,
  renderKeepalivedConfig,
} from '../../keepalived';
import { WarrenUserError } from '../../model';
import { lbFixtureSecrets, loadBalancedExamples } from '../haproxy/support';
import { loadBalancerRuntime, type LoadBalancerBuild } from '../lab/runtimes';
import { keepalivedTest as runKeepalivedTest, LOAD_BALANCER_BUILDS, type ProgramResult } from '../support/load-balancer-programs';

const work = mkdtempSync(join(tmpdir(), 'warren-keepalived-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const etc = join(work, 'etc-keepalived');
mkdirSync(etc, { mode: 0o755 });
writeFileSync(join(work, 'passwd'), `${readFileSync('/etc/passwd', 'utf8')}keepalived_script:x:64999:64999::/nonexistent:/usr/sbin/nologin\n`);
writeFileSync(join(work, 'group'), `${readFileSync('/etc/group', 'utf8')}keepalived_script:x:64999:\n`);

function keepalivedTest(conf: string, device: string, build: LoadBalancerBuild = 'bookworm'): ProgramResult {
  // The checker's folder, as install.sh and warren-haproxy-check.service leave it: keepalived 2.3's -t resolves it.
  mkdirSync(`${loadBalancerRuntime(build).root ?? ''}${HAPROXY_CHECKER_STATE_DIR}`, { recursive: true });
  return runKeepalivedTest(conf, device, build, { etcDir: etc, passwd: join(work, 'passwd'), group: join(work, 'group') });
}

function installScript(path: string, content: string): void {
  writeFileSync(join(etc, path.replace('/etc/keepalived/', '')), content, { mode: 0o755 });
}

const examples = loadBalancedExamples().filter(({ cluster }) => cluster.loadBalancer!.virtualIp);

describe('keepalived.conf from the examples', () => {
  it('covers a 3.x and a 4.3 spec', () => {
    expect(examples.map(({ cluster }) => cluster.version.line).sort()).toEqual(expect.arrayContaining(['3.10', '4.3']));
  });

  for (const { name, cluster } of examples) {
    const secrets = lbFixtureSecrets(cluster);
    const configs = keepalivedConfigsFromCluster(cluster, secrets);
    const script = renderHaproxyCheckScript(haproxyProbeFromCluster(cluster));
    const lb = cluster.loadBalancer!;

    it(`${name}: one config per load-balancer host (golden copies: test/golden/${name}/vm/<host>/etc/keepalived/)`, () => {
      expect(configs.map((c) => c.host)).toEqual(lb.hosts.map((h) => h.host));
    });

    it.each(LOAD_BALANCER_BUILDS)(`${name}: keepalived -t of the %s build accepts every host's config with the check script in place`, (build) => {
      installScript(HAPROXY_CHECK_SCRIPT_PATH, script);
      for (const path of Object.values(lb.keepalived.notify)) installScript(path, '#!/bin/sh\nexit 0\n');
      for (const { host, config } of configs) {
        const conf = join(work, `${name}.${host}.conf`);
        writeFileSync(conf, renderKeepalivedConfig(config));
        const { status, output } = keepalivedTest(conf, lb.keepalived.interface, build);
        expect(output, host).toBe('');
        expect(status, host).toBe(0);
      }
    });

    it(`${name}: every host starts BACKUP, no vrrp_strict, and a failed check moves the virtual IP`, () => {
      const texts = configs.map(({ config }) => renderKeepalivedConfig(config));
      for (const text of texts) {
        expect(text).toContain('    state BACKUP\n');
        expect(text).not.toContain('vrrp_strict');
        expect(text).toContain('enable_script_security');
        expect(text).toContain(`script "${HAPROXY_CHECK_SCRIPT_PATH}"`);
        // The checker's verdict, read the moment it changes; a host whose checker never wrote starts failing.
        expect(text).toContain(`track_file haproxy_failing {\n    file "${HAPROXY_FAILING_FILE}"\n    init_file 1\n}`);
      }
      const weight = lb.keepalived.check.weight;
      if (weight === 0) {
        for (const text of texts) {
          expect(text).toMatch(/track_script \{\n\s+chk_haproxy\n/);
          expect(text).toMatch(/track_file \{\n\s+haproxy_failing weight 0\n/);
        }
      } else {
        expect(lb.keepalived.nopreempt).toBe(false);
        for (const failed of lb.hosts) {
          for (const healthy of lb.hosts.filter((h) => h !== failed)) expect(failed.priority + weight).toBeLessThan(healthy.priority);
        }
      }
      if (lb.keepalived.peering === 'unicast') {
        configs.forEach(({ config }, i) => {
          expect(config.instances[0]!.unicast).toEqual({ sourceAddress: lb.hosts[i]!.address, peers: lb.hosts.filter((_, j) => j !== i).map((h) => h.address) });
        });
      }
    });
  }

  it.each(LOAD_BALANCER_BUILDS)('keepalived -t of the %s build fails when the check script is missing, so the acceptance above can fail', (build) => {
    const { cluster } = examples[0]!;
    const conf = join(work, 'missing-script.conf');
    writeFileSync(conf, renderKeepalivedConfig(keepalivedConfigsFromCluster(cluster, lbFixtureSecrets(cluster))[0]!.config).replace(HAPROXY_CHECK_SCRIPT_PATH, '/etc/keepalived/absent.sh'));
    const { status, output } = keepalivedTest(conf, cluster.loadBalancer!.keepalived.interface, build);
    expect(status).not.toBe(0);
    expect(output).toContain('Disabling track script chk_haproxy since not found/accessible');
  });

  it('refuses a VRRP password longer than 8 characters when rendering, as a user error from the model rule (the CLI reports it before)', () => {
    const billing = examples.find(({ cluster }) => cluster.loadBalancer!.keepalived.authPass)!.cluster;
    const render = () => keepalivedConfigsFromCluster(billing, { ...lbFixtureSecrets(billing), 'keepalived-auth-pass': 'fake-too-long' });
    expect(render).toThrow(WarrenUserError);
    expect(render).toThrow(
      'loadBalancer.keepalived.authPass: "env:BILLING_VRRP_PASS" gives a password of 13 characters; VRRP PASS carries at most 8 (keepalived would cut it), so give a shorter one, or use "generate"',
    );
  });
});
