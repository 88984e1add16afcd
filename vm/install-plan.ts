/** What a host's install script does, as data: packages, users, files with owners and modes, services. */
import type { RabbitmqPackagePlan } from './rabbitmq-apt';

export interface InstalledFile {
  /** Path inside the bundle, relative to the host folder, e.g. `etc/rabbitmq/rabbitmq.conf`. */
  readonly source: string;
  /** Absolute path on the host. */
  readonly destination: string;
  readonly mode: '0400' | '0440' | '0600' | '0640' | '0644' | '0755';
  readonly owner: string;
  readonly group: string;
  /** The service to restart when this file changes. */
  readonly service: string;
}

export interface ServiceCheck {
  /** The program that must be installed for the check to run, e.g. `haproxy`. */
  readonly program: string;
  /** Validates the bundle's copy of a file before anything is replaced; `{file}` is its path. */
  readonly command: string;
  /** Path inside the bundle of the file checked. */
  readonly source: string;
  /**
   * What the check reads. `bundle`: the bundle's copy of the file. `host`: the host's folder of that file as the
   * install will leave it (its current files plus the bundle's, with their modes and owners), mounted in private
   * mount and PID namespaces; for programs that check more than the file (keepalived -t: the scripts it names,
   * their user, the interfaces), so it runs on the host itself only, never under --root.
   * @default 'bundle'
   */
  readonly reads?: 'bundle' | 'host';
}

export interface InstallPlan {
  readonly host: string;
  readonly description: string;
  /** Packages installed from the distribution when missing. */
  readonly packages: readonly string[];
  /**
   * A RabbitMQ host: the rabbitmq-server line its files are for, checked before anything changes, and how apt gets it.
   * @default - not a RabbitMQ host
   */
  readonly rabbitmq?: RabbitmqPackagePlan;
  /** System users to create when missing (`useradd --system`). */
  readonly systemUsers: readonly string[];
  /**
   * Folders under /run a service's unit creates (`RuntimeDirectory`) that another program's check needs before the
   * service first starts (keepalived -t resolves the folder of a file it tracks); created after the users.
   * @default []
   */
  readonly runtimeDirectories?: readonly { readonly path: string; readonly owner: string }[];
  /** `address name` lines kept in a marked block of /etc/hosts, so node names resolve. */
  readonly hostsEntries: readonly { readonly address: string; readonly name: string }[];
  readonly files: readonly InstalledFile[];
  readonly checks: readonly ServiceCheck[];
  /** Services to enable and start, in order; those whose files changed are restarted, or reloaded where listed. */
  readonly services: readonly string[];
  /**
   * Services that apply a changed file by reloading: HAProxy hands its listeners to new workers and Keepalived
   * rereads its configuration, so neither cuts the connections on the virtual IP nor moves it. RabbitMQ needs
   * a restart for rabbitmq.conf.
   * @default []
   */
  readonly reloadOnChange?: readonly string[];
  /** Shell lines run after the services started (e.g. removing RabbitMQ's guest user). */
  readonly afterStart: readonly string[];
}
