/**
 * Per-host bundles for VMs: each host's files in the layout of its own file system, plus an idempotent
 * install.sh. RabbitMQ hosts get the node's configuration, definitions and cookie; load-balancer hosts
 * get HAProxy and, with a virtual IP, Keepalived and its check script.
 */
import { haproxyConfigFromCluster, renderHaproxyConfig } from '../haproxy';
import {
  HAPROXY_CHECK_SCRIPT_PATH,
  HAPROXY_CHECKER_PATH,
  KEEPALIVED_SCRIPT_USER,
  haproxyProbeFromCluster,
  keepalivedConfigsFromCluster,
  renderHaproxyCheckScript,
  renderHaproxyChecker,
  renderKeepalivedConfig,
} from '../keepalived';
import {
  pemFileContent,
  renderDefinitions,
  renderEnabledPlugins,
  MAJORITY_AGENT_ESCRIPT,
  PROMETHEUS_RULES_FILE,
  PROMETHEUS_SCRAPE_FILE,
  haproxyPasswordFileOf,
  renderPrometheusRules,
  renderPrometheusScrapeConfigs,
  renderRabbitmqConf,
  secretValue,
  tlsPathsIn,
  type GeneratedFile,
  type ResolvedCluster,
  type ResolvedNode,
  type SecretValues,
} from '../model/internal';
import type { InstallPlan, InstalledFile } from './install-plan';
import { renderInstallScript } from './install-script';
import { HAPROXY_CHECKER_SERVICE, HAPROXY_CHECKER_UNIT_PATH, renderHaproxyCheckerUnit } from './haproxy-checker-unit';
import { MAJORITY_AGENT_SERVICE, MAJORITY_AGENT_UNIT_PATH, renderMajorityAgentUnit } from './majority-agent-unit';
import { rabbitmqPackagePlan } from './rabbitmq-apt';
import { rollingFiles } from './day2/rolling';

/** Where Debian's packages read their files. */
export const VM_PATHS = {
  rabbitmqConf: '/etc/rabbitmq/rabbitmq.conf',
  rabbitmqEnv: '/etc/rabbitmq/rabbitmq-env.conf',
  enabledPlugins: '/etc/rabbitmq/enabled_plugins',
  definitions: '/etc/rabbitmq/definitions.json',
  cookie: '/var/lib/rabbitmq/.erlang.cookie',
  /** Certificate, key and CA of the TLS listener. */
  tls: '/etc/rabbitmq/tls',
  haproxyCfg: '/etc/haproxy/haproxy.cfg',
  keepalivedConf: '/etc/keepalived/keepalived.conf',
} as const;

const inBundle = (absolute: string) => absolute.slice(1);

function hostsEntries(cluster: ResolvedCluster): InstallPlan['hostsEntries'] {
  return [
    ...cluster.nodes.flatMap((n) => (n.address ? [{ address: n.address, name: n.host }] : [])),
    ...(cluster.loadBalancer?.hosts ?? []).map((h) => ({ address: h.address, name: h.host })),
  ];
}

/** The TLS files of a node with their owners and modes: the certificates are public, the key is the rabbitmq user's alone. */
function tlsFiles(cluster: ResolvedCluster, secrets: SecretValues): { path: string; content: string; kind: GeneratedFile['kind']; mode: InstalledFile['mode']; owner: string }[] {
  const { tls } = cluster;
  if (!tls) return [];
  const paths = tlsPathsIn(VM_PATHS.tls);
  return [
    { path: paths.certificate, content: pemFileContent(secrets, tls.certificate), kind: 'plain', mode: '0644', owner: 'root' },
    { path: paths.privateKey, content: pemFileContent(secrets, tls.privateKey), kind: 'secret', mode: '0400', owner: 'rabbitmq' },
    ...(tls.caCertificate
      ? [{ path: paths.caCertificate, content: pemFileContent(secrets, tls.caCertificate), kind: 'plain' as const, mode: '0644' as const, owner: 'root' }]
      : []),
  ];
}

type BundleFile = [path: string, content: string, kind: GeneratedFile['kind']];

interface SharedNodeFiles {
  readonly files: readonly BundleFile[];
  readonly tls: ReturnType<typeof tlsFiles>;
}

/** The files every RabbitMQ host gets alike, rendered once for the whole cluster. */
function sharedNodeFiles(cluster: ResolvedCluster, secrets: SecretValues): SharedNodeFiles {
  const conf = renderRabbitmqConf(cluster, { peerDiscovery: { backend: 'classic_config' }, definitionsPath: VM_PATHS.definitions, tlsPaths: tlsPathsIn(VM_PATHS.tls) });
  const tls = tlsFiles(cluster, secrets);
  return {
    files: [
      [VM_PATHS.rabbitmqConf, conf, 'plain'],
      [VM_PATHS.enabledPlugins, renderEnabledPlugins(cluster), 'plain'],
      [VM_PATHS.definitions, renderDefinitions(cluster, secrets), 'secret'],
      [VM_PATHS.cookie, secretValue(secrets, cluster.erlangCookie), 'secret'],
      ...tls.map((f): BundleFile => [f.path, f.content, f.kind]),
    ],
    tls,
  };
}

/** The majority agent's program and unit, when the cluster has the check: one service beside rabbitmq-server. */
function majorityAgentFiles(cluster: ResolvedCluster): { files: BundleFile[]; installed: InstalledFile[]; services: string[] } {
  const check = cluster.majorityCheck;
  if (!check) return { files: [], installed: [], services: [] };
  const installed = (destination: string, mode: InstalledFile['mode']): InstalledFile => ({
    source: inBundle(destination),
    destination,
    mode,
    owner: 'root',
    group: 'root',
    service: MAJORITY_AGENT_SERVICE,
  });
  return {
    files: [
      [check.programPath, MAJORITY_AGENT_ESCRIPT, 'executable'],
      [MAJORITY_AGENT_UNIT_PATH, renderMajorityAgentUnit(cluster, check), 'plain'],
    ],
    installed: [installed(check.programPath, '0755'), installed(MAJORITY_AGENT_UNIT_PATH, '0644')],
    services: [MAJORITY_AGENT_SERVICE],
  };
}

function nodeBundle(cluster: ResolvedCluster, node: ResolvedNode, shared: SharedNodeFiles): { plan: InstallPlan; files: BundleFile[] } {
  const file = (destination: string, mode: InstalledFile['mode'], owner = 'root', group = 'rabbitmq'): InstalledFile => ({
    source: inBundle(destination),
    destination,
    mode,
    owner,
    group,
    service: 'rabbitmq-server',
  });
  const [conf, ...rest] = shared.files;
  const agent = majorityAgentFiles(cluster);
  return {
    files: [conf!, [VM_PATHS.rabbitmqEnv, `# Generated by warren: the node's name, whatever the machine's host name is.\nNODENAME=${node.nodeName}\n`, 'plain'], ...rest, ...agent.files],
    plan: {
      host: node.host,
      description: `RabbitMQ node ${node.nodeName} of cluster "${cluster.name}" (RabbitMQ ${cluster.version.text})`,
      // rabbitmq-server comes through the version gate: pinned to the spec's line, from the distribution or the team's repositories.
      packages: [],
      rabbitmq: rabbitmqPackagePlan(cluster.version, cluster.features),
      systemUsers: [],
      hostsEntries: hostsEntries(cluster),
      files: [
        file(VM_PATHS.rabbitmqConf, '0644'),
        file(VM_PATHS.rabbitmqEnv, '0644'),
        file(VM_PATHS.enabledPlugins, '0644'),
        // Password hashes: readable by the broker only.
        file(VM_PATHS.definitions, '0640'),
        // Erlang refuses a cookie that others can read.
        file(VM_PATHS.cookie, '0400', 'rabbitmq', 'rabbitmq'),
        ...shared.tls.map((f) => file(f.path, f.mode, f.owner, 'rabbitmq')),
        ...agent.installed,
      ],
      checks: [],
      services: ['rabbitmq-server', ...agent.services],
      afterStart: [
        '# A node that ran before with the package defaults still has guest: remove it (users come from definitions.json).',
        'rabbitmqctl await_startup >/dev/null',
        'if rabbitmqctl list_users --silent | grep -q "^guest\\b"; then rabbitmqctl delete_user guest; fi',
      ],
    },
  };
}

function loadBalancerBundles(cluster: ResolvedCluster, secrets: SecretValues): { plan: InstallPlan; files: BundleFile[] }[] {
  const lb = cluster.loadBalancer;
  if (!lb) return [];
  const haproxyCfg = renderHaproxyConfig(
    haproxyConfigFromCluster(cluster, secrets, { target: 'vm', serverAddress: (node) => node.address ?? node.host }),
  );
  const keepalived = new Map(keepalivedConfigsFromCluster(cluster, secrets).map(({ host, config }) => [host, renderKeepalivedConfig(config)]));
  const probe = haproxyProbeFromCluster(cluster);
  const checkScript = renderHaproxyCheckScript(probe);
  const checker = renderHaproxyChecker(probe);
  const checkerUnit = renderHaproxyCheckerUnit(cluster);
  const checkerFile = (destination: string, mode: InstalledFile['mode']): InstalledFile => ({ source: inBundle(destination), destination, mode, owner: 'root', group: 'root', service: HAPROXY_CHECKER_SERVICE });
  return lb.hosts.map((host) => {
    const keepalivedConf = keepalived.get(host.host);
    const haproxyFile: InstalledFile = { source: inBundle(VM_PATHS.haproxyCfg), destination: VM_PATHS.haproxyCfg, mode: '0644', owner: 'root', group: 'root', service: 'haproxy' };
    const keepalivedFiles: InstalledFile[] = keepalivedConf
      ? [
          // keepalived.conf may carry the VRRP password; enable_script_security wants root-owned, non-writable scripts.
          { source: inBundle(VM_PATHS.keepalivedConf), destination: VM_PATHS.keepalivedConf, mode: '0600', owner: 'root', group: 'root', service: 'keepalived' },
          { source: inBundle(HAPROXY_CHECK_SCRIPT_PATH), destination: HAPROXY_CHECK_SCRIPT_PATH, mode: '0755', owner: 'root', group: 'root', service: 'keepalived' },
          checkerFile(HAPROXY_CHECKER_PATH, '0755'),
          checkerFile(HAPROXY_CHECKER_UNIT_PATH, '0644'),
        ]
      : [];
    return {
      files: [
        [VM_PATHS.haproxyCfg, haproxyCfg, 'plain'],
        ...(keepalivedConf
          ? ([
              [VM_PATHS.keepalivedConf, keepalivedConf, 'secret'],
              [HAPROXY_CHECK_SCRIPT_PATH, checkScript, 'executable'],
              [HAPROXY_CHECKER_PATH, checker, 'executable'],
              [HAPROXY_CHECKER_UNIT_PATH, checkerUnit, 'plain'],
            ] as BundleFile[])
          : []),
      ],
      plan: {
        host: host.host,
        description: `load balancer of cluster "${cluster.name}"${keepalivedConf ? ` (priority ${host.priority} for ${lb.virtualIp!.address})` : ''}`,
        // socat: the admin host's rolling scripts read HAProxy's runtime API socket through it.
        packages: keepalivedConf ? ['haproxy', 'keepalived', 'socat'] : ['haproxy', 'socat'],
        systemUsers: keepalivedConf ? [KEEPALIVED_SCRIPT_USER] : [],
        runtimeDirectories: keepalivedConf ? [{ path: probe.stateDir, owner: KEEPALIVED_SCRIPT_USER }] : [],
        hostsEntries: hostsEntries(cluster),
        files: [haproxyFile, ...keepalivedFiles],
        checks: [
          { program: 'haproxy', command: 'haproxy -c -f {file}', source: inBundle(VM_PATHS.haproxyCfg) },
          // keepalived -t checks the script it tracks, that script's user and the interface, so it reads the host's
          // /etc/keepalived as the install will leave it. Its private PID namespace is needed: 2.2.7's -t is killed
          // by SIGTERM (exit 143) once it has checked a script of a non-root script_user (acassen/keepalived#2617,
          // fixed in 2.2.8); as PID 1 of its own namespace it exits 0, or 5 on a bad file (measured on Debian 12).
          ...(keepalivedConf
            ? [{ program: 'keepalived', command: 'keepalived -t -f {file}', source: inBundle(VM_PATHS.keepalivedConf), reads: 'host' as const }]
            : []),
        ],
        // The checker first: its folder must exist when Keepalived starts watching it.
        services: keepalivedConf ? ['haproxy', HAPROXY_CHECKER_SERVICE, 'keepalived'] : ['haproxy'],
        reloadOnChange: ['haproxy', 'keepalived'],
        afterStart: [],
      },
    };
  });
}

function bundles(cluster: ResolvedCluster, secrets: SecretValues): { plan: InstallPlan; files: BundleFile[] }[] {
  const shared = sharedNodeFiles(cluster, secrets);
  return [...cluster.nodes.map((node) => nodeBundle(cluster, node, shared)), ...loadBalancerBundles(cluster, secrets)];
}

/** What each host's install.sh does, as data (the scripts are `renderInstallScript` of these). */
export function vmInstallPlans(cluster: ResolvedCluster, secrets: SecretValues): InstallPlan[] {
  return bundles(cluster, secrets).map(({ plan }) => plan);
}

/** Folder of the files for the operator's own Prometheus, beside the hosts' bundles (no install.sh: it is not a host). */
export const VM_MONITORING_FOLDER = 'vm/monitoring';

/** The rules file and scrape jobs, with the nodes and load balancers at the addresses their bundles give them. */
function monitoringFiles(cluster: ResolvedCluster): GeneratedFile[] {
  const scrape = renderPrometheusScrapeConfigs(cluster, {
    nodeTarget: (node, port) => `${node.address ?? node.host}:${port}`,
    haproxyTargets: (statsPort) => (cluster.loadBalancer?.hosts ?? []).map((h) => `${h.address}:${statsPort}`),
    haproxyPasswordFile: haproxyPasswordFileOf(cluster),
  });
  return [
    { path: `${VM_MONITORING_FOLDER}/${PROMETHEUS_RULES_FILE}`, content: renderPrometheusRules(cluster), kind: 'plain' },
    { path: `${VM_MONITORING_FOLDER}/${PROMETHEUS_SCRAPE_FILE}`, content: scrape, kind: 'plain' },
  ];
}

/** Every file of every host's bundle, under `vm/<host>/`, the Prometheus files under `vm/monitoring/`, the admin host's under `vm/admin/`. */
export function vmBundleFiles(cluster: ResolvedCluster, secrets: SecretValues): GeneratedFile[] {
  return [
    ...bundles(cluster, secrets).flatMap(({ plan, files }) => [
      ...files.map(([path, content, kind]): GeneratedFile => ({ path: `vm/${plan.host}/${inBundle(path)}`, content, kind })),
      { path: `vm/${plan.host}/install.sh`, content: renderInstallScript(plan), kind: 'executable' as const },
    ]),
    ...monitoringFiles(cluster),
    ...rollingFiles(cluster),
  ];
}
