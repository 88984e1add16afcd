/**
 * The real-program tests need Debian's rabbitmq-server, haproxy, keepalived, iptables (the e2e partitions),
 * shellcheck, promtool (package prometheus), amtool (prometheus-alertmanager), xmllint (libxml2-utils), socat and a PostgreSQL server. Install what is missing (as root, with service start-up disabled
 * so nothing runs outside the tests), once per test run. Then build the root file systems of the newer lines
 * (RabbitMQ 4.0 and 4.3, HAProxy 3.2 and Keepalived 2.3) and the Docker engine with Compose v2 (test/roots/roots.sh;
 * cached, about 4 minutes the first time). Any of these missing fails the run, naming what is missing: no test passes without its program.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const PACKAGES: Record<string, string> = {
  'rabbitmq-server': '/usr/lib/rabbitmq/bin/rabbitmq-server',
  haproxy: '/usr/sbin/haproxy',
  keepalived: '/usr/sbin/keepalived',
  iproute2: '/usr/sbin/ip',
  iptables: '/usr/sbin/iptables',
  curl: '/usr/bin/curl',
  'iputils-ping': '/usr/bin/ping',
  shellcheck: '/usr/bin/shellcheck',
  // promtool, which checks and unit-tests the generated Prometheus rules and scrape jobs.
  prometheus: '/usr/bin/promtool',
  // amtool, which checks the compose Alertmanager's alertmanager.yml (test/monitoring/compose-services.test.ts).
  'prometheus-alertmanager': '/usr/bin/amtool',
  // socat, which the runtime API test speaks to HAProxy's stats socket with.
  socat: '/usr/bin/socat',
  // xmllint, which parses the bench's timeline SVGs (test/bench/timeline-svg.test.ts) and the SVG diagrams (test/graph/svg.test.ts).
  'libxml2-utils': '/usr/bin/xmllint',
  // postgresql (15 on Debian 12), whose server the PostgreSQL store tests start privately (test/support/postgres.ts).
  postgresql: '/usr/lib/postgresql/15/bin/postgres',
  // openssl passwd -6, the reference for the HAProxy stats password's SHA-512 crypt.
  openssl: '/usr/bin/openssl',
};

/** Progress goes to stderr: `npm run bench` keeps its stdout for the JSON it prints. */
const PROGRESS: ['ignore', number, number] = ['ignore', 2, 2];

export default function ensurePackages(): void {
  installDebianPackages();
  execFileSync(join(__dirname, '../roots/roots.sh'), ['build'], { stdio: PROGRESS });
  execFileSync(join(__dirname, '../roots/roots.sh'), ['versions'], { stdio: PROGRESS });
}

function installDebianPackages(): void {
  const missing = Object.entries(PACKAGES)
    .filter(([, binary]) => !existsSync(binary))
    .map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`the real-program tests need ${missing.join(', ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
  }
  const policy = '/usr/sbin/policy-rc.d';
  const hadPolicy = existsSync(policy);
  // Keep the packages' own services from starting: the tests start exactly what they need.
  if (!hadPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: PROGRESS });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      stdio: PROGRESS,
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } finally {
    if (!hadPolicy) rmSync(policy, { force: true });
  }
}
