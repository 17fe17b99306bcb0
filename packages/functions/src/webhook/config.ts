import { z } from "zod";

const webhookEnvironment = z.object({
  TABLE_NAME: z.string().min(1),
  WEBHOOK_SECRET_ID: z.string().min(1),
});

export type WebhookConfig = z.infer<typeof webhookEnvironment>;

/** Read once at cold start; a missing variable fails the init with its name. */
export const loadWebhookConfig = (env: NodeJS.ProcessEnv): WebhookConfig => {
  const parsed = webhookEnvironment.safeParse(env);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join(".")).join(", ");
    throw new Error(`webhook function misconfigured, check environment variables: ${missing}`);
  }
  return parsed.data;
};
