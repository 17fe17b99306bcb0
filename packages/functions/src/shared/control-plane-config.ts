import { launchTemplatesSetting, parseEnvironment } from "@ger/core";
import * as v from "valibot";

const required = v.pipe(v.string(), v.minLength(1, "must not be empty"));
const controlPlaneEnvironment = v.object(
  {
    TABLE_NAME: required,
    /** Secrets Manager secret holding a GitLab token with create_runner and manage_runner scopes. */
    GITLAB_TOKEN_SECRET_ID: required,
    /** {"<pool>": {"launchTemplateId": "lt-…", "version": "…"}}, written by infra/. */
    LAUNCH_TEMPLATES: v.pipe(required, launchTemplatesSetting),
    AWS_REGION: required,
    AWS_ACCOUNT_ID: v.pipe(v.string(), v.regex(/^\d{12}$/, "must be a 12-digit account id")),
    AWS_PARTITION: v.optional(v.picklist(["aws", "aws-cn", "aws-us-gov"]), "aws"),
    /** This deployment's webhook URL: lets the reaper spot the hook GitLab disabled. */
    WEBHOOK_URL: v.optional(v.pipe(v.string(), v.url())),
    /** Overrides the config file's gitlab_url (e.g. per stage). */
    GITLAB_URL: v.optional(v.pipe(v.string(), v.url())),
  },
  "is required",
);

export type ControlPlaneConfig = v.InferOutput<typeof controlPlaneEnvironment>;

export const loadControlPlaneConfig = (env: NodeJS.ProcessEnv): ControlPlaneConfig =>
  parseEnvironment(controlPlaneEnvironment, env, "the control plane (scaler, reaper, EC2 events)");
