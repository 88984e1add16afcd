/**
 * `pulumi up` here runs a RabbitMQ cluster on a Docker host: the local daemon, or the one DOCKER_HOST
 * (or `pulumi config set docker:host ...`) names. See README.md, section "Pulumi".
 */
import * as pulumi from '@pulumi/pulumi';
import { secretsOfTarget } from '../../model';
import { DockerRabbitmqCluster } from '../docker-cluster';
import { resolveForProgram, secretsFromConfig, specFromConfig } from '../program-config';

const config = new pulumi.Config();
const cluster = resolveForProgram(specFromConfig(config));
const rabbitmq = new DockerRabbitmqCluster(cluster.name, {
  cluster,
  secrets: secretsFromConfig(config, secretsOfTarget(cluster, 'compose')),
  ...(config.get('publicHost') !== undefined && { publicHost: config.get('publicHost') }),
});

export const nodeNames = rabbitmq.nodeNames;
export const amqpUrl = rabbitmq.amqpUrl;
export const amqpUrls = rabbitmq.amqpUrls;
export const managementUrl = rabbitmq.managementUrl;
export const username = rabbitmq.username;
export const password = rabbitmq.password;
