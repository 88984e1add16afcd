/**
 * Where a RabbitMQ host's packages come from. A bundle's files are written for one RabbitMQ line (Debian 12's
 * 3.10.8 refuses 4.x keys such as `default_queue_type` at boot), so install.sh pins apt to that line and to an
 * Erlang series the line supports, takes the distribution's package when the distribution carries the line, and
 * otherwise adds the RabbitMQ team's apt repositories as their install guide describes
 * (https://www.rabbitmq.com/docs/install-debian and /docs/which-erlang, read 2026-12).
 */
import { SUPPORTED_LINES, type RabbitmqVersion, type VersionFeatures, type VersionLine } from '../model';

export interface TeamSigningKey {
  /** Fingerprint of the primary key, which install.sh checks before apt trusts what it fetched. */
  readonly fingerprint: string;
  /** Where the armoured public key is fetched from, tried in order. */
  readonly urls: readonly string[];
  /** The keyring file the sources name in `Signed-By`. */
  readonly keyring: string;
}

/** A distribution release the team's repositories serve, as its /etc/os-release names it. */
export interface TeamRepositoryRelease {
  readonly id: 'debian' | 'ubuntu';
  /** `VERSION_CODENAME` (`UBUNTU_CODENAME` on Ubuntu). */
  readonly codename: string;
  /** The repository folder and suite that serve it. */
  readonly suite: string;
  /** The team publishes Erlang for it; otherwise the distribution's own Erlang is one the current lines support. */
  readonly erlangRepository: boolean;
}

export interface TeamRepositories {
  readonly key: TeamSigningKey;
  /** Mirrors listed together so apt falls back to the other when one is unreachable. */
  readonly mirrors: readonly string[];
  readonly releases: readonly TeamRepositoryRelease[];
  /** The only architecture the team builds Erlang for. */
  readonly architecture: 'amd64';
  /** The deb822 sources file install.sh writes. */
  readonly sourcesPath: string;
}

/** The RabbitMQ team's apt repositories; both are signed with the team's release signing key. */
export const RABBITMQ_TEAM_REPOSITORIES: TeamRepositories = {
  key: {
    fingerprint: '0A9AF2115F4687BD29803A206B73A36E6026DFCA',
    // The GitHub release first: a key served without its user ID (keys.openpgp.org strips unverified ones) is one
    // apt's gpgv cannot verify with ("Bad public key", measured with gpgv 2.2.40).
    urls: [
      'https://github.com/rabbitmq/signing-keys/releases/download/3.0/rabbitmq-release-signing-key.asc',
      'https://keys.openpgp.org/vks/v1/by-fingerprint/0A9AF2115F4687BD29803A206B73A36E6026DFCA',
    ],
    // The install guide's path: a host that followed the guide names the same file, and apt refuses two different
    // Signed-By values for one repository.
    keyring: '/usr/share/keyrings/com.rabbitmq.team.gpg',
  },
  mirrors: ['https://deb1.rabbitmq.com', 'https://deb2.rabbitmq.com'],
  releases: [
    { id: 'debian', codename: 'bullseye', suite: 'bullseye', erlangRepository: true },
    { id: 'debian', codename: 'bookworm', suite: 'bookworm', erlangRepository: true },
    { id: 'debian', codename: 'trixie', suite: 'trixie', erlangRepository: false },
    { id: 'ubuntu', codename: 'focal', suite: 'focal', erlangRepository: true },
    { id: 'ubuntu', codename: 'jammy', suite: 'jammy', erlangRepository: true },
    { id: 'ubuntu', codename: 'noble', suite: 'noble', erlangRepository: true },
    // Ubuntu 26.04 uses the 24.04 repository (the guide: there is no resolute one yet).
    { id: 'ubuntu', codename: 'resolute', suite: 'noble', erlangRepository: true },
  ],
  architecture: 'amd64',
  sourcesPath: '/etc/apt/sources.list.d/warren-rabbitmq.sources',
};

export interface RabbitmqPackagePlan {
  /** The line this bundle's files are written for; install.sh refuses a rabbitmq-server of any other. */
  readonly line: VersionLine;
  /** Every line warren writes files for, so a refusal can say which bundle would fit the installed server. */
  readonly knownLines: readonly VersionLine[];
  /** apt version pattern for rabbitmq-server: the spec's release when it names one (`4.3.6-*`), else the line (`4.3.*`). */
  readonly serverVersion: string;
  /** apt version pattern for the `erlang*` packages (Debian's and the team's Erlang packages carry epoch 1). */
  readonly erlangVersion: string;
  /** The series `erlangVersion` selects, for messages. */
  readonly erlangSeries: string;
  /**
   * apt preference for both pins: above the distribution's 500, so the pinned versions win when both are offered,
   * and below 1000, so apt never downgrades an installed package to reach them.
   */
  readonly pinPriority: 999;
  /** The apt preferences file install.sh writes. */
  readonly preferencesPath: string;
  readonly repositories: TeamRepositories;
}

export function rabbitmqPackagePlan(version: RabbitmqVersion, features: VersionFeatures): RabbitmqPackagePlan {
  const { erlangSeries } = features;
  return {
    line: version.line,
    knownLines: SUPPORTED_LINES,
    serverVersion: version.patch === undefined ? `${version.line}.*` : `${version.line}.${version.patch}-*`,
    erlangVersion: `1:${erlangSeries}.*`,
    erlangSeries,
    pinPriority: 999,
    preferencesPath: '/etc/apt/preferences.d/warren-rabbitmq',
    repositories: RABBITMQ_TEAM_REPOSITORIES,
  };
}

/** One deb822 paragraph (apt's sources and preferences files both use the format). */
function paragraph(fields: Readonly<Record<string, string>>): string {
  return Object.entries(fields)
    .map(([name, value]) => `${name}: ${value}\n`)
    .join('');
}

/** /etc/apt/preferences.d/warren-rabbitmq. */
export function renderAptPreferences(plan: RabbitmqPackagePlan): string {
  const pin = (pkg: string, version: string) => paragraph({ Package: pkg, Pin: `version ${version}`, 'Pin-Priority': String(plan.pinPriority) });
  return [
    `# Written by warren's install.sh: this host's files are for RabbitMQ ${plan.line}, run on Erlang ${plan.erlangSeries}.`,
    `# ${plan.pinPriority} wins over the distribution's packages (500) and never downgrades an installed one.\n`,
    pin('rabbitmq-server', plan.serverVersion),
    pin('erlang*', plan.erlangVersion),
  ].join('\n');
}

/**
 * The team's repositories in deb822 form, for the release install.sh finds at run time: `$distribution` and `$suite`
 * are shell variables of the script's heredoc. The Erlang paragraph is rendered apart, for the releases that need it.
 */
export function renderAptSources(repositories: TeamRepositories, repository: 'rabbitmq-erlang' | 'rabbitmq-server'): string {
  return paragraph({
    Types: 'deb',
    URIs: repositories.mirrors.map((mirror) => `${mirror}/${repository}/$distribution/$suite`).join(' '),
    Suites: '$suite',
    Components: 'main',
    Architectures: repositories.architecture,
    'Signed-By': repositories.key.keyring,
  });
}
