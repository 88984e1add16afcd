/** The commented spec `warren init` writes. Every line is a default or a documented option. */
export const STARTER_SPEC = `# yaml-language-server: $schema=./schema/warren.schema.json
# A RabbitMQ cluster for warren. Run \`warren validate --spec warren.yaml\`, then \`warren synth --spec warren.yaml\`.

# Cluster name: a DNS-1123 label; hosts are named <name>-1 .. <name>-N.
name: rabbit

rabbitmq:
  # 3.10 to 4.3; pin a patch release (e.g. "4.3.1") for reproducible images.
  version: "4.3"

# A node count, or a list of hosts for VMs:
#   nodes:
#     - { host: rmq-1, address: 10.0.0.11 }
nodes: 3

partitionHandling:
  # autoheal | pause_minority | pause_if_all_down | ignore (no effect from 4.2: Khepri)
  mode: autoheal

plugins: [rabbitmq_management, rabbitmq_prometheus]

defaultUser:
  name: admin
  # generate | file:<path> | env:<VARIABLE>
  password: generate

# Shared by every node; generated once and kept in .warren-secrets/ next to this file (never commit it).
erlangCookie: generate

resources:
  memoryHighWatermark: 0.6   # fraction of RAM, or a size such as "2GiB"
  diskFreeLimit: 2GB         # a size, or a multiple of RAM such as 1.5

queues:
  defaultType: quorum

# HAProxy in front of the nodes; add hosts and a virtualIp for Keepalived on VMs.
loadBalancer:
  balance: leastconn
`;
