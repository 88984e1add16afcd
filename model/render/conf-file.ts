/** The rabbitmq.conf (sysctl-like, cuttlefish) format: commented sections of `key = value` lines. */

export type ConfValue = string | number | boolean;

export interface ConfSection {
  /** One or more comment lines explaining why the section exists. */
  readonly comment: readonly string[];
  readonly entries: readonly (readonly [key: string, value: ConfValue])[];
}

export function renderConfFile(header: readonly string[], sections: readonly ConfSection[]): string {
  const blocks = [
    header.map((line) => `# ${line}`).join('\n'),
    ...sections
      .filter((section) => section.entries.length > 0 || section.comment.length > 0)
      .map((section) =>
        [...section.comment.map((line) => `## ${line}`), ...section.entries.map(([key, value]) => `${key} = ${value}`)].join('\n'),
      ),
  ];
  return `${blocks.join('\n\n')}\n`;
}
