/**
 * ElastiCache's own view of the cache behind REDIS_URL (AWS only): status,
 * engine and configuration. The stack creates a serverless cache; a
 * replication group (cluster-mode or not) is described as well, so the same
 * endpoint serves a stack that moved to provisioned nodes.
 */
import {
  DescribeReplicationGroupsCommand,
  DescribeServerlessCachesCommand,
  type ElastiCacheClient,
} from "@aws-sdk/client-elasticache";
import type { CacheServiceStatus } from "./runtime";

export type ElastiCacheDescribeClient = Pick<ElastiCacheClient, "send">;

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name ?? "";
  return name === "ServerlessCacheNotFoundFault" || name === "ReplicationGroupNotFoundFault";
}

export async function describeCacheService(client: ElastiCacheDescribeClient, name: string): Promise<CacheServiceStatus | null> {
  try {
    const res = await client.send(new DescribeServerlessCachesCommand({ ServerlessCacheName: name }));
    const c = res.ServerlessCaches?.[0];
    if (c) {
      return {
        name,
        kind: "serverless",
        status: c.Status ?? null,
        engine: c.Engine ?? null,
        engineVersion: c.FullEngineVersion ?? c.MajorEngineVersion ?? null,
        endpoint: c.Endpoint?.Address ? `${c.Endpoint.Address}:${c.Endpoint.Port ?? 6379}` : null,
        details: {
          usageLimits: c.CacheUsageLimits ?? null,
          snapshotRetentionLimit: c.SnapshotRetentionLimit ?? null,
          dailySnapshotTime: c.DailySnapshotTime ?? null,
          subnetIds: c.SubnetIds ?? [],
        },
      };
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  try {
    const res = await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: name }));
    const g = res.ReplicationGroups?.[0];
    if (!g) return null;
    const endpoint = g.ConfigurationEndpoint ?? g.NodeGroups?.[0]?.PrimaryEndpoint;
    return {
      name,
      kind: "replication-group",
      status: g.Status ?? null,
      engine: g.Engine ?? null,
      engineVersion: null,
      endpoint: endpoint?.Address ? `${endpoint.Address}:${endpoint.Port ?? 6379}` : null,
      details: {
        nodeType: g.CacheNodeType ?? null,
        clusterEnabled: g.ClusterEnabled ?? null,
        nodeGroups: g.NodeGroups?.length ?? 0,
        multiAZ: g.MultiAZ ?? null,
        automaticFailover: g.AutomaticFailover ?? null,
        transitEncryption: g.TransitEncryptionEnabled ?? null,
      },
    };
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}
