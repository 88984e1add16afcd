import type { ResolvedCluster } from '../resolve';

/** enabled_plugins: an Erlang list term. `extra` adds target-specific plugins (e.g. Kubernetes peer discovery). */
export function renderEnabledPlugins(cluster: ResolvedCluster, extra: readonly string[] = []): string {
  const plugins = [...new Set([...cluster.plugins, ...extra])].sort();
  return `[${plugins.join(',')}].\n`;
}
