import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DynamoPoolControls } from "@ger/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type DynamoDbClientSettings,
  freePort,
  LOCAL_AWS_SETTINGS,
  type LocalStack,
  loadLocalSettings,
  STORE_KEY_FILE,
  startLocalStack,
  storeAccessKeyId,
} from "../src/index";

const TABLE = "isolated-store";
let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "local-store-"));
});
afterAll(() => rm(scratch, { recursive: true, force: true }));
beforeEach(() => {
  // Read when the stack's loggers and metrics are made.
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
});

const startStack = async (env: Record<string, string> = {}) =>
  startLocalStack(
    loadLocalSettings({
      PORT: String(await freePort()),
      TABLE_NAME: TABLE,
      AUTOSCALER_CONFIG: "test/support/e2e.config.json",
      ...env,
    }),
  );

const withClient = async <T>(
  stack: LocalStack,
  settings: DynamoDbClientSettings,
  use: (client: DynamoDBClient) => Promise<T>,
): Promise<T> => {
  const client = new DynamoDBClient({ endpoint: stack.dynamodbEndpoint, ...settings });
  try {
    return await use(client);
  } finally {
    client.destroy();
  }
};

const tablesSeenWith = (stack: LocalStack, settings: DynamoDbClientSettings) =>
  withClient(
    stack,
    settings,
    async (client) => (await client.send(new ListTablesCommand({}))).TableNames ?? [],
  );

/** The stack's pool controls, read with the stack's own key. */
const poolControlsOf = <T>(stack: LocalStack, use: (controls: DynamoPoolControls) => Promise<T>) =>
  withClient(stack, stack.dynamodbClientSettings, (client) =>
    use(new DynamoPoolControls(DynamoDBDocumentClient.from(client), TABLE)),
  );

const asKey = (accessKeyId: string): DynamoDbClientSettings => ({
  region: LOCAL_AWS_SETTINGS.region,
  credentials: { accessKeyId, secretAccessKey: "local" },
});

describe("the local stack's DynamoDB Local (it listens on every interface)", () => {
  it("shows the stack's table to no client with another access key id", async () => {
    const stack = await startStack();
    try {
      expect(await tablesSeenWith(stack, stack.dynamodbClientSettings)).toEqual([TABLE]);
      // The fixed key the stack used to share its database under, and any other one.
      expect(await tablesSeenWith(stack, LOCAL_AWS_SETTINGS)).toEqual([]);
      expect(await tablesSeenWith(stack, asKey("AKIAIOSFODNN7EXAMPLE"))).toEqual([]);
    } finally {
      await stack.stop();
    }
  }, 60_000);

  it("uses a new random key at every start without a data directory", async () => {
    const keys = new Set(await Promise.all([1, 2, 3].map(() => storeAccessKeyId())));

    expect(keys.size).toBe(3);
    for (const key of keys) expect(key).toMatch(/^[A-Z2-7]{20}$/);
  });
});

describe("the store's key with DYNAMODB_DATA_DIR", () => {
  it("is kept there in a file only its owner may read, and found again after a restart with the data", async () => {
    const dataDir = join(scratch, "restart", "data");
    const first = await startStack({ DYNAMODB_DATA_DIR: dataDir });
    try {
      await poolControlsOf(first, (controls) => controls.setDrained("linux-arm", true));
    } finally {
      await first.stop();
    }
    const second = await startStack({ DYNAMODB_DATA_DIR: dataDir });
    let drained: ReadonlySet<string>;
    try {
      drained = await poolControlsOf(second, (controls) => controls.drainedPools());
    } finally {
      await second.stop();
    }

    expect(second.dynamodbClientSettings).toEqual(first.dynamodbClientSettings);
    expect([...drained]).toEqual(["linux-arm"]);
    expect((await stat(join(dataDir, STORE_KEY_FILE))).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    // Two stacks, one after the other: DynamoDB Local takes a while to start on a small machine.
  }, 90_000);

  it("refuses a key file that other users may read", async () => {
    const dataDir = join(scratch, "open-key");
    await storeAccessKeyId(dataDir);
    await chmod(join(dataDir, STORE_KEY_FILE), 0o644);

    await expect(storeAccessKeyId(dataDir)).rejects.toThrow(
      `is open to other users (mode 644): chmod 600 ${join(dataDir, STORE_KEY_FILE)}`,
    );
  });

  it("refuses a data directory that other users may list (DynamoDB Local's file names carry the key)", async () => {
    const dataDir = join(scratch, "open-dir");
    await storeAccessKeyId(dataDir);
    await chmod(dataDir, 0o755);

    await expect(storeAccessKeyId(dataDir)).rejects.toThrow(`chmod 700 ${dataDir}`);
  });

  it("refuses a key file it did not write", async () => {
    const dataDir = join(scratch, "foreign-key");
    await storeAccessKeyId(dataDir);
    await writeFile(join(dataDir, STORE_KEY_FILE), "local\n");

    await expect(storeAccessKeyId(dataDir)).rejects.toThrow(
      "holds no access key the local stack wrote",
    );
  });
});
