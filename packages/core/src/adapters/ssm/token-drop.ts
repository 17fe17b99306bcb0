import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type { GrantOutcome, TokenDrop } from "../../ports/token-drop";

/** The tag whose value must equal the reading instance's ARN (IAM: ssm:resourceTag vs ec2:SourceInstanceARN). */
export const TOKEN_READER_TAG = "gitlab-runner-autoscaler:reader";

export interface SsmTokenDropOptions {
  /** e.g. /gitlab-runner-autoscaler/ci-autoscaler/runners; runners may read only below its `instance/`. */
  readonly parameterPrefix: string;
  /** arn:aws:ec2:<region>:<account>:instance/ */
  readonly instanceArnPrefix: string;
  /** The customer's key (`kms_key_arn`); unset, SSM's AWS managed key aws/ssm. */
  readonly kmsKeyId?: string;
}

const DESCRIPTION = "glrt- token of one ephemeral GitLab runner; deleted when the runner is";

/**
 * Tokens as SecureString parameters. Chosen over user-data (readable through
 * DescribeInstanceAttribute, kept on disk) and over one Secrets Manager secret per runner ($0.40
 * a month each, pro rata, and a 7-day minimum deletion window): a standard parameter is free,
 * encrypted with KMS (the AWS managed key aws/ssm, usable by the account's principals through SSM
 * without an IAM statement), deleted at once, and IAM can tie it to one instance.
 *
 * `put` stores the token as `<prefix>/<runner name>`, untagged: no instance may read it. `grant`
 * moves it to `<prefix>/instance/<instance id>`, the one name an instance knows of itself (one
 * CreateFleet tags all its instances alike), then deletes the runner-named one. The copy is created
 * with a reader tag holding that instance's ARN, so it never exists untagged (PutParameter takes
 * Tags only without Overwrite: an existing parameter is never rewritten). The runner role may read
 * and delete only parameters under `<prefix>/instance/` whose ssm:resourceTag/<reader> equals
 * ${ec2:SourceInstanceARN}. The sub-path keeps the two kinds of name apart: a pool may be named
 * like an instance id (`i-0123…`).
 */
export class SsmTokenDrop implements TokenDrop {
  /** Where instance-bound tokens live, below a deployment's prefix; the runner role reads only there. */
  static instanceParameterPrefix(parameterPrefix: string): string {
    return `${parameterPrefix}/instance`;
  }

  constructor(
    private readonly client: SSMClient,
    private readonly options: SsmTokenDropOptions,
  ) {}

  /** Where a runner's token waits until it is granted. */
  parameterName(runnerName: string): string {
    return `${this.options.parameterPrefix}/${runnerName}`;
  }

  /** Where a granted token waits for its instance. */
  instanceParameterName(instanceId: string): string {
    return `${SsmTokenDrop.instanceParameterPrefix(this.options.parameterPrefix)}/${instanceId}`;
  }

  async put(runnerName: string, token: string): Promise<void> {
    await this.client.send(
      new PutParameterCommand({
        Name: this.parameterName(runnerName),
        Value: token,
        Type: "SecureString",
        ...(this.options.kmsKeyId && { KeyId: this.options.kmsKeyId }),
        Tier: "Standard",
        Overwrite: true,
        Description: DESCRIPTION,
      }),
    );
  }

  async grant(runnerName: string, instanceId: string, held?: string): Promise<GrantOutcome> {
    // Parameter Store's throughput is shared by reads and writes: a token held is not read back.
    const token = held ?? (await this.waitingToken(runnerName));
    // Nothing under the runner's name: an earlier grant moved it.
    if (token === undefined) return "consumed";
    try {
      await this.client.send(
        new PutParameterCommand({
          Name: this.instanceParameterName(instanceId),
          Value: token,
          Type: "SecureString",
          ...(this.options.kmsKeyId && { KeyId: this.options.kmsKeyId }),
          Tier: "Standard",
          Description: DESCRIPTION,
          Tags: [
            { Key: TOKEN_READER_TAG, Value: `${this.options.instanceArnPrefix}${instanceId}` },
          ],
        }),
      );
    } catch (error) {
      // An earlier grant that stopped before its delete made it already.
      if (!(error instanceof ParameterAlreadyExists)) throw error;
    }
    await this.deleteIfPresent(this.parameterName(runnerName));
    return "granted";
  }

  async remove(runnerName: string, instanceId?: string): Promise<void> {
    await this.deleteIfPresent(this.parameterName(runnerName));
    if (instanceId !== undefined)
      await this.deleteIfPresent(this.instanceParameterName(instanceId));
  }

  private async waitingToken(runnerName: string): Promise<string | undefined> {
    try {
      const { Parameter } = await this.client.send(
        new GetParameterCommand({ Name: this.parameterName(runnerName), WithDecryption: true }),
      );
      return Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
  }

  /** A parameter already gone is what deleting it was for. */
  private async deleteIfPresent(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if (!(error instanceof ParameterNotFound)) throw error;
    }
  }
}
