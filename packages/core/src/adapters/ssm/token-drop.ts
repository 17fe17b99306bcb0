import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  InvalidResourceId,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { GrantOutcome, TokenDrop } from "../../ports/token-drop";

/** The tag whose value must equal the reading instance's ARN (IAM: ssm:resourceTag vs ec2:SourceInstanceARN). */
export const TOKEN_READER_TAG = "gitlab-runner-autoscaler:reader";

export interface SsmTokenDropOptions {
  /** e.g. /gitlab-runner-autoscaler/ci-autoscaler/runners; IAM grants runners only paths under it. */
  readonly parameterPrefix: string;
  /** arn:aws:ec2:<region>:<account>:instance/ */
  readonly instanceArnPrefix: string;
}

/**
 * Tokens as per-runner SecureString parameters. Chosen over user-data (readable through
 * DescribeInstanceAttribute, kept on disk) and over one Secrets Manager secret per runner ($0.40
 * a month each, pro rata, and a 7-day minimum deletion window): a standard parameter is free,
 * encrypted with KMS, deleted at once, and IAM can tie it to one instance. Until `grant` tags the
 * parameter with the instance's ARN no instance can read it; then only that one can (the runner
 * role's policy requires ssm:resourceTag/<reader> to equal ${ec2:SourceInstanceARN}).
 */
export class SsmTokenDrop implements TokenDrop {
  constructor(
    private readonly client: SSMClient,
    private readonly options: SsmTokenDropOptions,
  ) {}

  parameterName(runnerName: string): string {
    return `${this.options.parameterPrefix}/${runnerName}`;
  }

  async put(runnerName: string, token: string): Promise<void> {
    await this.client.send(
      new PutParameterCommand({
        Name: this.parameterName(runnerName),
        Value: token,
        Type: "SecureString",
        Tier: "Standard",
        Overwrite: true,
        Description: "glrt- token of one ephemeral GitLab runner; deleted when the runner is",
      }),
    );
  }

  async grant(runnerName: string, instanceId: string): Promise<GrantOutcome> {
    try {
      await this.client.send(
        new AddTagsToResourceCommand({
          ResourceType: "Parameter",
          ResourceId: this.parameterName(runnerName),
          Tags: [
            { Key: TOKEN_READER_TAG, Value: `${this.options.instanceArnPrefix}${instanceId}` },
          ],
        }),
      );
      return "granted";
    } catch (error) {
      // SSM's answer for tagging a parameter that no longer exists: the instance took it.
      if (error instanceof InvalidResourceId) return "consumed";
      throw error;
    }
  }

  async remove(runnerName: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: this.parameterName(runnerName) }));
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
  }
}
