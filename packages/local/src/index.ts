export type { DynamoDbClientSettings, DynamoDbLocal } from "./dynamodb-local";
export { freePort, LOCAL_AWS_SETTINGS, startDynamoDbLocal } from "./dynamodb-local";
export type { GitlabDouble, GitlabDoubleOptions } from "./gitlab-double/index";
export { startGitlabDouble } from "./gitlab-double/index";
export { localLambdaContext, toApiGatewayEvent } from "./lambda-http-adapter";
export type { LocalStack } from "./local-stack";
export { startLocalStack } from "./local-stack";
export { createLocalServer } from "./server";
export {
  DEFAULT_LOCAL_PORT,
  DEFAULT_LOCAL_TABLE,
  DEFAULT_LOCAL_WEBHOOK_SECRET,
  loadLocalSettings,
} from "./settings";
export { STORE_KEY_FILE, storeAccessKeyId } from "./store-access-key";
export { ensureTable } from "./table-setup";
