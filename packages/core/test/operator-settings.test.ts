import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { ConfigurationError, parseAutoscalerConfig } from "../src/index";

type Mutable = Record<string, unknown> & {
  pools: (Record<string, unknown> & {
    runner: Record<string, unknown>;
    instance: Record<string, unknown>;
  })[];
};

/** The test config with `change` made to it (its first pool is a docker pool). */
const withChange = (change: (config: Mutable) => void): unknown => {
  const config = structuredClone(configInput()) as unknown as Mutable;
  change(config);
  return config;
};

/** The config error's text for `change`; fails the test when the config is accepted. */
const refusal = (change: (config: Mutable) => void): string => {
  try {
    parseAutoscalerConfig(withChange(change));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("the config was accepted");
};

const KEY_ARN = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

describe("the operators' settings", () => {
  it("default to logs kept 30 days, AWS-managed keys, no boundary and the root path", () => {
    const config = parseAutoscalerConfig(configInput());
    const [pool] = config.pools;

    expect(config).toMatchObject({
      tags: {},
      runner_logs: { enabled: true, retention_days: 30 },
      ca_certificates: [],
      role_path: "/",
    });
    expect(config.kms_key_arn).toBeUndefined();
    expect(config.role_permissions_boundary).toBeUndefined();
    expect(pool?.instance).toMatchObject({
      disk_type: "gp3",
      docker_on_instance_store: true,
      tags: {},
    });
    expect(pool?.runner.docker).toEqual({ ecr_credential_helper: false });
  });

  it("takes each setting as documented", () => {
    const config = parseAutoscalerConfig(
      withChange((c) => {
        c.tags = { CostCenter: "ci-4711", team: "platform" };
        c.runner_logs = { retention_days: 90 };
        c.ca_certificates = [
          { ssm_parameter: "/corp/ca/root.pem" },
          { s3: "s3://corp-pki/ca/intermediate.pem" },
        ];
        c.kms_key_arn = KEY_ARN;
        c.role_permissions_boundary = "arn:aws:iam::123456789012:policy/ci-boundary";
        c.role_path = "/ci/runners/";
        const [pool] = c.pools;
        pool!.instance = {
          ...pool!.instance,
          tags: { pool: "arm" },
          disk_type: "gp3",
          disk_iops: 6000,
          disk_throughput: 500,
          pre_install: "apt-get install -y jq",
          post_install: "echo ready",
        };
        pool!.runner = {
          ...pool!.runner,
          pre_get_sources_script: "git config --global http.postBuffer 524288000",
          pre_build_script: "echo start",
          post_build_script: "echo end",
          docker: {
            registry_mirror: "https://mirror.example.com",
            helper_image:
              "mirror.example.com/gitlab-org/gitlab-runner/gitlab-runner-helper:arm64-latest",
            ecr_credential_helper: true,
            gpus: "all",
          },
        };
      }),
    );

    expect(config.runner_logs.retention_days).toBe(90);
    expect(config.pools[0]?.instance.disk_iops).toBe(6000);
    expect(config.pools[0]?.runner.docker.gpus).toBe("all");
    expect(config.ca_certificates).toHaveLength(2);
  });

  it.each([
    [
      "tags",
      (c: Mutable) => (c.tags = { "aws:createdBy": "me" }),
      "tags.aws:createdBy",
      "may not start with aws:",
    ],
    [
      "tags",
      (c: Mutable) => (c.tags = { "gitlab-runner-autoscaler:pool": "x" }),
      "may not start with",
      "",
    ],
    ["tags", (c: Mutable) => (c.tags = { Name: "x" }), "'Name' is set by the autoscaler", ""],
    ["tags", (c: Mutable) => (c.tags = { team: "a;b" }), "is not an AWS tag value", ""],
    [
      "tags",
      (c: Mutable) => {
        c.tags = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`d${i}`, "x"]));
        c.pools[0]!.instance.tags = Object.fromEntries(
          Array.from({ length: 11 }, (_, i) => [`p${i}`, "x"]),
        );
      },
      "pools.linux-arm: the deployment's and the pool's tags come to 41, more than 40",
      "",
    ],
    [
      "runner_logs",
      (c: Mutable) => (c.runner_logs = { retention_days: 31 }),
      "runner_logs.retention_days: must be one of CloudWatch's retentions",
      "",
    ],
    [
      "ca_certificates",
      (c: Mutable) => (c.ca_certificates = [{ s3: "corp-pki/ca.pem" }]),
      "ca_certificates.0",
      "s3://<bucket>/<key>",
    ],
    [
      "ca_certificates",
      (c: Mutable) => (c.ca_certificates = [{ url: "https://pki" }]),
      "ca_certificates.0",
      "give { ssm_parameter",
    ],
    [
      "kms_key_arn",
      (c: Mutable) => (c.kms_key_arn = "alias/ci"),
      "kms_key_arn: is not a KMS key ARN",
      "",
    ],
    [
      "role_path",
      (c: Mutable) => (c.role_path = "ci/runners"),
      "role_path: must start and end with '/'",
      "",
    ],
    [
      "role_permissions_boundary",
      (c: Mutable) => (c.role_permissions_boundary = "ci-boundary"),
      "role_permissions_boundary: is not an IAM policy ARN",
      "",
    ],
    [
      "disk_type",
      (c: Mutable) => (c.pools[0]!.instance.disk_type = "st1"),
      "pools.0.instance.disk_type",
      "",
    ],
    [
      "disk_iops",
      (c: Mutable) => (c.pools[0]!.instance.disk_iops = 2000),
      "pools.0.instance: disk_iops must be 3000-80000 for gp3",
      "",
    ],
    [
      "disk_iops",
      (c: Mutable) => (c.pools[0]!.instance.disk_type = "io2"),
      "pools.0.instance: disk_iops is required for io2",
      "",
    ],
    [
      "disk_iops",
      (c: Mutable) => Object.assign(c.pools[0]!.instance, { disk_type: "gp2", disk_iops: 3000 }),
      "disk_iops does not apply to gp2",
      "",
    ],
    [
      "disk_throughput",
      (c: Mutable) =>
        Object.assign(c.pools[0]!.instance, {
          disk_type: "io1",
          disk_iops: 3000,
          disk_throughput: 500,
        }),
      "disk_throughput applies to gp3 only",
      "",
    ],
    [
      "disk_throughput",
      (c: Mutable) => (c.pools[0]!.instance.disk_throughput = 1000),
      "disk_throughput 1000 needs disk_iops 4000 or more",
      "",
    ],
    [
      "pre_install",
      (c: Mutable) => (c.pools[0]!.instance.pre_install = ""),
      "pools.0.instance.pre_install",
      "",
    ],
    [
      "registry_mirror",
      (c: Mutable) => (c.pools[0]!.runner.docker = { registry_mirror: "mirror.example.com" }),
      "pools.0.runner.docker.registry_mirror: is not a URL",
      "",
    ],
    [
      "gpus",
      (c: Mutable) => (c.pools[0]!.runner.docker = { gpus: "yes" }),
      "pools.0.runner.docker.gpus",
      "",
    ],
    [
      "docker",
      (c: Mutable) =>
        (c.pools[0]!.runner = {
          ...c.pools[0]!.runner,
          executor: "shell",
          docker: { gpus: "all" },
        }),
      "runner.docker applies to the docker executor only",
      "",
    ],
  ])("refuses a bad %s, naming the field", (_field, change, expected, alsoExpected) => {
    const message = refusal(change);

    expect(message).toContain(expected);
    expect(message).toContain(alsoExpected);
  });
});
