/** renderKeepalivedConfig: the one place a typed KeepalivedConfig becomes keepalived.conf text. */
import type { KeepalivedConfig, KeepalivedGlobal, TrackFile, VrrpInstance, VrrpNotify, VrrpScript } from './config';

const INDENT = '    ';

/** A `name {` block with indented lines; nested blocks come in already rendered. */
function block(title: string, lines: readonly string[]): string[] {
  return [`${title} {`, ...lines.map((line) => `${INDENT}${line}`), '}'];
}

/** advert_int in seconds: `1`, `0.1`, `1.5`. */
export function advertInterval(ms: number): string {
  return String(ms / 1000);
}

function renderGlobal(global: KeepalivedGlobal): string[] {
  return block('global_defs', [
    `router_id ${global.routerId}`,
    ...(global.enableScriptSecurity ? ['enable_script_security'] : []),
    `script_user ${global.scriptUser}`,
  ]);
}

function renderScript(script: VrrpScript): string[] {
  return block(`vrrp_script ${script.name}`, [
    `script "${script.path}"`,
    `interval ${script.intervalSeconds}`,
    `timeout ${script.timeoutSeconds}`,
    `rise ${script.rise}`,
    `fall ${script.fall}`,
  ]);
}

function renderTrackFile(file: TrackFile): string[] {
  return block(`track_file ${file.name}`, [`file "${file.path}"`, `init_file ${file.initialValue}`]);
}


const NOTIFY_KEYWORDS: readonly (readonly [keyof VrrpNotify, string])[] = [
  ['master', 'notify_master'],
  ['backup', 'notify_backup'],
  ['fault', 'notify_fault'],
  ['stop', 'notify_stop'],
  ['any', 'notify'],
];

function renderInstance(instance: VrrpInstance): string[] {
  return block(`vrrp_instance ${instance.name}`, [
    ...instance.comment.map((line) => `# ${line}`),
    `state ${instance.state}`,
    `interface ${instance.interface}`,
    `virtual_router_id ${instance.virtualRouterId}`,
    `version ${instance.version}`,
    `priority ${instance.priority}`,
    `advert_int ${advertInterval(instance.advertIntervalMs)}`,
    `garp_master_refresh ${instance.garpRefreshSeconds}`,
    ...(instance.nopreempt ? ['nopreempt'] : []),
    ...(instance.unicast ? [`unicast_src_ip ${instance.unicast.sourceAddress}`, ...block('unicast_peer', instance.unicast.peers)] : []),
    ...(instance.authentication
      ? block('authentication', [`auth_type ${instance.authentication.type}`, `auth_pass ${instance.authentication.password}`])
      : []),
    ...block(
      'virtual_ipaddress',
      instance.virtualAddresses.map((vip) => `${vip.address}/${vip.prefixLength} dev ${vip.device}`),
    ),
    ...block(
      'track_script',
      instance.trackScripts.map((track) => (track.weight === 0 ? track.name : `${track.name} weight ${track.weight}`)),
    ),
    // A track file's weight defaults to 1 (a failing host would gain priority), so it is always written.
    ...(instance.trackFiles.length > 0 ? block('track_file', instance.trackFiles.map((track) => `${track.name} weight ${track.weight}`)) : []),
    ...NOTIFY_KEYWORDS.flatMap(([key, keyword]) => (instance.notify[key] ? [`${keyword} "${instance.notify[key]}"`] : [])),
  ]);
}

export function renderKeepalivedConfig(config: KeepalivedConfig): string {
  const blocks = [
    config.header.map((line) => `# ${line}`),
    renderGlobal(config.global),
    ...config.scripts.map(renderScript),
    ...config.trackFiles.map(renderTrackFile),
    ...config.instances.map(renderInstance),
  ];
  return `${blocks.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}
