import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { DEFAULT_LOCAL_PORT, DEFAULT_LOCAL_TABLE } from "@ger/local/settings";

export class UsageError extends Error {}

export interface TableTarget {
  readonly description: string;
  readonly tableName: string;
  readonly client: DynamoDBDocumentClient;
}

export interface TargetOptions {
  readonly endpoint?: string;
  readonly table?: string;
}

/** What DynamoDB Local wants in every request; it checks no signature, only whose database. */
const localCredentials = (accessKeyId = "local") => ({
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey: "local" },
});

export interface LocalStackInfo {
  readonly tableName: string;
  readonly dynamodbEndpoint: string;
  /** The only key id that sees the stack's database; /healthz tells it to callers on this machine. */
  readonly dynamodbAccessKeyId: string;
  readonly webhookUrl: string;
  readonly gitlabUrl: string;
  readonly gitlabDoubleUrl?: string;
  readonly gitlabDoubleToken?: string;
}

/** What the local stack on PORT reports about itself at /healthz. */
export const discoverLocalStack = async (port: string): Promise<LocalStackInfo> => {
  const url = `http://127.0.0.1:${port}/healthz`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    const health = (await response.json()) as Partial<LocalStackInfo>;
    if (health.tableName && health.dynamodbEndpoint && health.dynamodbAccessKeyId)
      return health as LocalStackInfo;
  } catch {
    // Reported below with what to do.
  }
  throw new Error(
    `no local stack answered at ${url}: start one with 'npm start' (same PORT), ` +
      "or set TABLE_NAME (and AWS credentials) to read a deployed table",
  );
};

/**
 * Where the state lives, in order: an explicit DynamoDB endpoint; a deployed table named by
 * --table or TABLE_NAME (default AWS credential chain); else the local stack on PORT.
 */
export const resolveTableTarget = async (
  options: TargetOptions,
  env: NodeJS.ProcessEnv,
): Promise<TableTarget> => {
  const endpoint = options.endpoint ?? env.DYNAMODB_ENDPOINT;
  const table = options.table ?? env.TABLE_NAME;
  if (endpoint) {
    const tableName = table ?? DEFAULT_LOCAL_TABLE;
    const client = new DynamoDBClient({ endpoint, ...localCredentials() });
    return {
      description: `${tableName} at ${endpoint}`,
      tableName,
      client: DynamoDBDocumentClient.from(client),
    };
  }
  if (table) {
    return {
      description: `${table} in AWS`,
      tableName: table,
      client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
    };
  }
  const local = await discoverLocalStack(env.PORT ?? String(DEFAULT_LOCAL_PORT));
  const client = new DynamoDBClient({
    endpoint: local.dynamodbEndpoint,
    ...localCredentials(local.dynamodbAccessKeyId),
  });
  return {
    description: `local stack (${local.tableName} at ${local.dynamodbEndpoint})`,
    tableName: local.tableName,
    client: DynamoDBDocumentClient.from(client),
  };
};
