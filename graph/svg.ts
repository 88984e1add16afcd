/**
 * SVG through Graphviz compiled to WebAssembly (@viz-js/viz): no system install, no install script. Loaded
 * only when SVG is asked for, so `warren synth` and the text formats never pay for it; compiled once per process.
 */
import type { Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

export async function renderSvg(dot: string): Promise<string> {
  viz ??= import('@viz-js/viz').then((module) => module.instance());
  const result = (await viz).render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    throw new Error(`Graphviz could not lay out the diagram: ${result.errors.map((e) => e.message).join('; ')}`);
  }
  return result.output;
}
