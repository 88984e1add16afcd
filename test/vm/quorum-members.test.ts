import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveCluster, type ClusterSpec } from '../../model';
import { vmBundleFiles, vmInstallPlans } from '../../vm';
import { fixtureSecrets, loadExample } from '../support/fixtures';

const bundleOf = (example: string) => {
  const cluster = resolveCluster(loadExample(example) as ClusterSpec);
  const secrets = fixtureSecrets(cluster);
  return { cluster, files: vmBundleFiles(cluster, secrets), plans: vmInstallPlans(cluster, secrets) };
};

describe('the quorum-members unit of RabbitMQ hosts before 3.13', () => {
  it('gives each 3.10 node the program and its unit, started after rabbitmq-server and with each of its starts', () => {
    const { files, plans } = bundleOf('lb-vm-3.10.yaml');
    const unit = files.find((f) => f.path === 'vm/mq-a/etc/systemd/system/warren-quorum-members.service')!.content;
    expect(unit).toMatch(/^After=rabbitmq-server\.service$/m);
    expect(unit).toMatch(/^WantedBy=rabbitmq-server\.service$/m);
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/lib\/warren\/quorum-members\.sh$/m);
    const program = files.find((f) => f.path === 'vm/mq-a/usr/local/lib/warren/quorum-members.sh')!;
    expect(program.kind).toBe('executable');
    expect(program.content).toContain('members=(rabbit@mq-a rabbit@mq-b rabbit@mq-c)');
    expect(program.content).toContain('rabbitmq-queues -q grow "$node" all');
    expect(spawnSync('bash', ['-n'], { input: program.content }).status).toBe(0);
    const services = plans.find((p) => p.host === 'mq-a')!.services;
    expect(services.indexOf('warren-quorum-members')).toBeGreaterThan(services.indexOf('rabbitmq-server'));
  });

  it('grows onto the first 7 nodes of a larger 3.10 cluster only (the target group size)', () => {
    const cluster = resolveCluster({ name: 'big', nodes: 9, rabbitmq: { version: '3.10' } });
    const program = vmBundleFiles(cluster, fixtureSecrets(cluster)).find((f) => f.path === 'vm/big-1/usr/local/lib/warren/quorum-members.sh')!.content;
    expect(program).toContain(`members=(${[1, 2, 3, 4, 5, 6, 7].map((i) => `rabbit@big-${i}`).join(' ')})`);
    expect(program).toContain('= 9 ]; do');
  });

  it('gives 4.3 nodes none: RabbitMQ reconciles membership itself (rabbitmq.conf)', () => {
    const { files, plans } = bundleOf('lb-vm-4.3.yaml');
    expect(files.filter((f) => f.path.includes('quorum-members'))).toEqual([]);
    expect(plans.flatMap((p) => p.services)).not.toContain('warren-quorum-members');
  });
});
