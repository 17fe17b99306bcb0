import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigurationError, SecretsManagerWebhookCredentials } from "../src/index";

const SECRET_ID = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf";
const secretsManager = mockClient(SecretsManagerClient);

const secretValue = (value: string) => ({
  ARN: SECRET_ID,
  Name: "webhook",
  SecretString: value,
  VersionId: "f1b2c3d4-0000-4000-8000-000000000000",
  VersionStages: ["AWSCURRENT"],
  CreatedDate: new Date("2026-01-01T00:00:00Z"),
});

const setup = () => {
  let now = new Date("2026-06-01T10:00:00Z");
  const clock = { now: () => now };
  const provider = new SecretsProvider({
    awsSdkV3Client: new SecretsManagerClient({ region: "us-east-1" }),
  });
  const credentials = new SecretsManagerWebhookCredentials(provider, SECRET_ID, clock);
  return {
    credentials,
    advance: (seconds: number) => (now = new Date(now.getTime() + seconds * 1000)),
  };
};

describe("SecretsManagerWebhookCredentials", () => {
  beforeEach(() => secretsManager.reset());

  it("reads the secret once and serves it from cache", async () => {
    secretsManager.on(GetSecretValueCommand).resolves(secretValue("token-1"));
    const { credentials } = setup();

    await credentials.current();
    const second = await credentials.current();

    expect(second).toEqual({ token: "token-1" });
    expect(
      secretsManager.commandCalls(GetSecretValueCommand, { SecretId: SECRET_ID }),
    ).toHaveLength(1);
  });

  it("picks up a rotated secret on refresh, but at most once a minute", async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .resolvesOnce(secretValue("token-1"))
      .resolves(secretValue("token-2"));
    const { credentials, advance } = setup();
    await credentials.current();

    const fresh = await credentials.refreshed();
    const tooSoon = await credentials.refreshed();
    advance(61);
    const later = await credentials.refreshed();

    expect(fresh).toEqual({ token: "token-2" });
    expect(tooSoon).toBeUndefined();
    expect(later).toEqual({ token: "token-2" });
    expect(await credentials.current()).toEqual({ token: "token-2" });
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(3);
  });

  it("explains a secret that has no value yet", async () => {
    secretsManager.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message:
          "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { credentials } = setup();

    const read = credentials.current();

    await expect(read).rejects.toThrow(ConfigurationError);
    await expect(read).rejects.toThrow("put-secret-value");
  });

  it("refuses a binary secret", async () => {
    secretsManager.on(GetSecretValueCommand).resolves({
      ...secretValue(""),
      SecretString: undefined,
      SecretBinary: new Uint8Array([1, 2, 3]),
    });
    const { credentials } = setup();

    await expect(credentials.current()).rejects.toThrow("string secret");
  });
});
