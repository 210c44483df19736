/** Grants shared by several constructs, each scoped to one resource. */
import { Aws } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import { EMBEDDING_MODEL_ID } from "../config";

/** bedrock:InvokeModel on the Titan embedding model only. */
export function allowEmbeddingModel(grantee: iam.IGrantable): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ["bedrock:InvokeModel"],
      resources: [`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${EMBEDDING_MODEL_ID}`],
    }),
  );
}
