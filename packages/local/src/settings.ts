import { z } from "zod";

/** The documented default, so that a first `npm start` and the README's curl agree. */
export const DEFAULT_LOCAL_WEBHOOK_SECRET = "local-webhook-secret";
export const DEFAULT_LOCAL_PORT = 8080;
export const DEFAULT_LOCAL_TABLE = "gitlab-runner-autoscaler-local";

const localEnvironment = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(DEFAULT_LOCAL_PORT),
  HOST: z.string().default("127.0.0.1"),
  WEBHOOK_SECRET: z.string().min(1).default(DEFAULT_LOCAL_WEBHOOK_SECRET),
  WEBHOOK_SIGNING_KEY: z.string().startsWith("whsec_").optional(),
  TABLE_NAME: z.string().min(3).default(DEFAULT_LOCAL_TABLE),
  DYNAMODB_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DYNAMODB_DATA_DIR: z.string().min(1).optional(),
});

export type LocalSettings = z.infer<typeof localEnvironment>;

export const loadLocalSettings = (env: NodeJS.ProcessEnv): LocalSettings => {
  const parsed = localEnvironment.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new Error(`invalid local stack settings: ${problems.join("; ")}`);
  }
  return parsed.data;
};
