/** The `rabbitmq` section of the spec: which RabbitMQ runs (version line, image, metadata store). */
import * as z from 'zod';
import { DEFAULT_VERSION, METADATA_STORES } from './version';

export const rabbitmqSchema = z
  .strictObject({
    version: z
      .string(`is not a version; write it as a string, e.g. "4.3" or "3.13.7"`)
      .default(DEFAULT_VERSION)
      .describe(`RabbitMQ version (MAJOR.MINOR or MAJOR.MINOR.PATCH), 3.10 to 4.3. @default "${DEFAULT_VERSION}"`),
    image: z
      .string()
      .min(1)
      .optional()
      .describe('Container image. @default "rabbitmq:<version>-management"'),
    metadataStore: z
      .enum(METADATA_STORES)
      .optional()
      .describe(
        'Metadata store the cluster runs on. A new 4.2+ cluster starts on Khepri (Raft), where partition handling has no effect; ' +
          'a cluster upgraded to 4.2 from an earlier line keeps Mnesia until its khepri_db feature flag is enabled: say "mnesia" ' +
          'for it, and partition handling is written. 4.3 has no Mnesia; before 4.2 warren builds Mnesia clusters. ' +
          '@default - "khepri" from 4.2, "mnesia" before',
      ),
  })
  .prefault({})
  .describe('Which RabbitMQ to run.');
