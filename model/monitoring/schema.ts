/** The `monitoring` section of the spec: Prometheus and Alertmanager as services of the compose target. */
import * as z from 'zod';

const hostPort = (defaultPort: number, what: string) =>
  z
    .int('is not a port number; give an integer between 1 and 65535')
    .min(1, 'is not a port number; give an integer between 1 and 65535')
    .max(65535, 'is not a port number; give an integer between 1 and 65535')
    .default(defaultPort)
    .describe(`${what}, plus compose.hostPortOffset, bound to compose.bindAddress. @default ${defaultPort}`);

export const monitoringSchema = z
  .strictObject({
    compose: z
      .strictObject({
        prometheus: z
          .boolean('is not true or false; give true to run Prometheus as a compose service')
          .default(false)
          .describe('Run Prometheus as a service of compose.yaml, scraping every node and HAProxy by service name and loading the rules file warren writes. @default false'),
        alertmanager: z
          .boolean('is not true or false; give true to run Alertmanager as a compose service')
          .default(false)
          .describe('Also run Alertmanager, which that Prometheus sends its alerts to; fill in the receiver of compose/alertmanager/alertmanager.yml. Needs prometheus. @default false'),
        prometheusPort: hostPort(9090, "Host port of Prometheus's web UI and API"),
        alertmanagerPort: hostPort(9093, "Host port of Alertmanager's web UI and API"),
      })
      .prefault({})
      .describe('Monitoring services of the compose target (none by default: point your own Prometheus at compose/prometheus/).'),
  })
  .prefault({})
  .describe('Monitoring that warren runs for the cluster, beside the rules file and scrape jobs every target gets.');
