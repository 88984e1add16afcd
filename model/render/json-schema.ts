import * as z from 'zod';
import { clusterSpecSchema } from '../spec';

/** JSON Schema of the spec file, generated from the same zod definition that validates it. */
export function specJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(clusterSpecSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://warren.dev/schema/warren.schema.json',
    title: 'warren cluster spec',
  };
}
