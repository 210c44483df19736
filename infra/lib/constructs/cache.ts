/**
 * ElastiCache Serverless for Valkey: the L2 cache, shared event history and
 * shared counters (docs/architecture.md, "Redis never holds the truth": it never holds the truth).
 *
 * Serverless over node-based because the load is spiky and small; Valkey over
 * Redis OSS because its metered floor is 100 MB instead of 1 GB and its rates
 * are about a third lower (floor ~$6/month instead of ~$91). Serverless always
 * runs TLS and cluster mode, hence `rediss://` and REDIS_CLUSTER=true.
 */
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as elasticache from "aws-cdk-lib/aws-elasticache";
import { Construct } from "constructs";
import type { Network } from "./network";

export interface CacheProps {
  name: string;
  network: Network;
}

export class Cache extends Construct {
  readonly cache: elasticache.CfnServerlessCache;
  readonly name: string;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    this.name = props.name;
    this.securityGroup = new ec2.SecurityGroup(this, "Sg", {
      vpc: props.network.vpc,
      description: "Valkey serverless cache: reachable from the functions only",
      allowAllOutbound: false,
    });
    // 6379 is the primary endpoint, 6380 the reader endpoint of a serverless cache.
    this.securityGroup.addIngressRule(props.network.functionSecurityGroup, ec2.Port.tcpRange(6379, 6380), "functions to Valkey (TLS)");

    const subnets = props.network.vpc.selectSubnets(props.network.dataSubnets);
    this.cache = new elasticache.CfnServerlessCache(this, "Serverless", {
      serverlessCacheName: props.name,
      description: "Neo Alexandria L2 cache, event history and stats",
      engine: "valkey",
      majorEngineVersion: "8",
      subnetIds: subnets.subnetIds,
      securityGroupIds: [this.securityGroup.securityGroupId],
      // Caps keep a runaway key pattern from becoming a runaway bill; raise them deliberately.
      cacheUsageLimits: {
        dataStorage: { unit: "GB", maximum: 5 },
        ecpuPerSecond: { maximum: 5000 },
      },
      // The cache is rebuilt from the store; snapshots would cost money and restore nothing of value.
      snapshotRetentionLimit: 0,
    });
  }

  /** TLS URL of the primary endpoint (address and port as the service reports them). */
  get url(): string {
    return `rediss://${this.cache.attrEndpointAddress}:${this.cache.attrEndpointPort}`;
  }

  get arn(): string {
    return this.cache.attrArn;
  }
}
