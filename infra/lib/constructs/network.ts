/**
 * The VPC the cache lives in and the functions that use it join.
 *
 * Functions sit in private subnets with one NAT gateway for egress: besides SQS,
 * EventBridge, Secrets Manager and Bedrock (each of which would need an interface
 * endpoint at ~$7.30 per AZ per month), they must reach the libSQL server, which
 * is on the internet (Turso or a self-hosted sqld). A NAT gateway is needed for
 * that anyway, and one NAT (~$33/month) is cheaper than five endpoints in two AZs
 * (~$73/month). docs/cost.md has the arithmetic. The cache sits in isolated
 * subnets that have no route out at all.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

export interface NetworkProps {
  natGateways: number;
}

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** Where VPC-attached functions run (egress through NAT). */
  readonly functionSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  /** Where the cache runs (no route to the internet). */
  readonly dataSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  /** Attached to every function that talks to the cache; the cache admits this group only. */
  readonly functionSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, "Vpc", {
      ipAddresses: ec2.IpAddresses.cidr("10.40.0.0/16"),
      maxAzs: 2,
      natGateways: props.natGateways,
      // The default security group is not used by anything here; restricting it needs a
      // custom-resource Lambda on a runtime we do not control, so we leave it alone.
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: "public", subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        // /20 per AZ: Lambda takes one Hyperplane ENI per subnet and security group, but leave room.
        { name: "functions", subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: "data", subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    const flowLogs = new logs.LogGroup(this, "FlowLogs", {
      retention: logs.RetentionDays.TWO_WEEKS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog("FlowLog", {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      // Rejected traffic is what an investigation needs; accepted traffic would multiply ingestion cost.
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    this.functionSecurityGroup = new ec2.SecurityGroup(this, "FunctionSg", {
      vpc: this.vpc,
      description: "Lambda functions that use the cache",
      // Functions call AWS APIs and the libSQL server over HTTPS through the NAT gateway.
      allowAllOutbound: true,
    });
  }
}
