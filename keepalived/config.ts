/**
 * A typed keepalived.conf for one load-balancer host: global settings, the script that checks HAProxy,
 * and the VRRP instance that holds the virtual IP. Field names follow keepalived's keywords.
 */

export interface KeepalivedConfig {
  /** Comment lines at the top of the file. */
  readonly header: readonly string[];
  readonly global: KeepalivedGlobal;
  readonly scripts: readonly VrrpScript[];
  readonly trackFiles: readonly TrackFile[];
  readonly instances: readonly VrrpInstance[];
}

export interface KeepalivedGlobal {
  /** Names this host in logs and notifications. */
  readonly routerId: string;
  /** Refuse scripts that a non-root user could modify. */
  readonly enableScriptSecurity: boolean;
  /** Unprivileged user scripts run as. */
  readonly scriptUser: string;
}

export interface VrrpScript {
  readonly name: string;
  /** Absolute path of the executable. */
  readonly path: string;
  /** Whole seconds: keepalived 2.2 cannot run a script more often than once a second. */
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly rise: number;
  readonly fall: number;
}

/** A file keepalived watches with inotify and reads as a number the moment it is written. */
export interface TrackFile {
  readonly name: string;
  readonly path: string;
  /** Written at start when the file does not exist, so a host whose checker has not spoken yet starts failing. */
  readonly initialValue: number;
}

export interface VrrpNotify {
  readonly master?: string;
  readonly backup?: string;
  readonly fault?: string;
  readonly stop?: string;
  /** Called on every change with `INSTANCE <name> <state> <priority>`. */
  readonly any?: string;
}

export interface VrrpInstance {
  readonly name: string;
  /** Why the values are what they are, as comment lines inside the instance. */
  readonly comment: readonly string[];
  /** Every host starts as BACKUP and the election picks the holder, so a restart never forces a takeover. */
  readonly state: 'BACKUP';
  readonly interface: string;
  readonly virtualRouterId: number;
  readonly version: 2 | 3;
  readonly priority: number;
  readonly advertIntervalMs: number;
  /** The holder repeats its gratuitous ARP this often (`garp_master_refresh`), not only when it takes the address. */
  readonly garpRefreshSeconds: number;
  readonly nopreempt: boolean;
  /** Advertisements to the other hosts directly. @default - multicast 224.0.0.18 */
  readonly unicast?: { readonly sourceAddress: string; readonly peers: readonly string[] };
  /** VRRPv2 only; at most 8 characters. */
  readonly authentication?: { readonly type: 'PASS'; readonly password: string };
  readonly virtualAddresses: readonly { readonly address: string; readonly prefixLength: number; readonly device: string }[];
  /** `weight` 0: a failing script puts the instance in FAULT instead of changing its priority. */
  readonly trackScripts: readonly { readonly name: string; readonly weight: number }[];
  /** `weight` 0: a non-zero value puts the instance in FAULT; otherwise the value times the weight is added to the priority. */
  readonly trackFiles: readonly { readonly name: string; readonly weight: number }[];
  readonly notify: VrrpNotify;
}
