/** How a service's file is described: mounted read-only (`bind`) or delivered as a compose secret. */
import type { ServiceFile } from './config';

export const bind = (content: ServiceFile['content'], source: string, target: string): ServiceFile => ({ content, source, target, delivery: { kind: 'bind' } });

export const secretFile = (content: ServiceFile['content'], name: string, source: string, target: string, mode: '0400' | '0444'): ServiceFile => ({
  content,
  source,
  target,
  delivery: { kind: 'secret', name, mode },
});
