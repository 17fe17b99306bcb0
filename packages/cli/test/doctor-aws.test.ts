import { parseAutoscalerConfig } from "@ger/core";
import { describe, expect, it } from "vitest";
import { configInput } from "../../../test/support/config";
import { runAwsChecks } from "../src/doctor/aws-checks";
import { type AccountModel, InMemoryAwsAccount } from "../src/doctor/memory-account";
import { healthyAccount, STAGE, WEBHOOK_URL } from "./support/doctor-account";

const config = parseAutoscalerConfig(configInput());
const refusesWithoutToken = async () => ({ status: 401, body: '{"error":"unauthorized"}' });

const check = async (
  change: (model: AccountModel) => AccountModel = (model) => model,
  probeWebhook = refusesWithoutToken,
) => {
  const account = new InMemoryAwsAccount(change(healthyAccount(config, "glpat-x", "secret")));
  const { results } = await runAwsChecks({ config, account, stage: STAGE, probeWebhook });
  return { results, account, byId: (id: string) => results.find((result) => result.id === id) };
};

describe("doctor's AWS checks", () => {
  it("pass in an account where the config fits, dry-running every market of every pool", async () => {
    const { results, account } = await check();

    expect(results.filter((result) => result.status !== "pass")).toEqual([]);
    expect(results.map((result) => result.id)).toEqual(
      expect.arrayContaining([
        "aws.credentials",
        "aws.stage",
        "aws.table",
        "aws.function.scaler",
        "aws.secret.gitlab-token",
        "aws.secret.webhook",
        "aws.webhook",
        "aws.fleet.linux-arm",
        "aws.network.gpu",
        "aws.ami.linux-arm",
        "aws.quota.L-1216C47A",
        "aws.quota.L-DB2E81BA",
      ]),
    );
    // linux-arm: spot, then on-demand (fallback and retries); gpu: on-demand only.
    expect(account.dryRuns.map((run) => `${run.launchTemplateId} ${run.market}`)).toEqual([
      "lt-00aaaaaaaaaaaaaaa spot",
      "lt-00aaaaaaaaaaaaaaa on-demand",
      "lt-01aaaaaaaaaaaaaaa on-demand",
    ]);
    expect(account.dryRuns[0]?.overrides).toHaveLength(4);
  });

  it("names the decoded reason and the fix when EC2 denies CreateFleet", async () => {
    const { byId } = await check((model) => ({
      ...model,
      dryRun: () => ({
        kind: "denied",
        message:
          "You are not authorized to perform this operation. Encoded authorization failure message: abc",
        reason:
          "explicit deny of ec2:RunInstances on arn:aws:ec2:eu-central-1:123456789012:instance/* by a service control policy",
      }),
    }));

    expect(byId("aws.fleet.linux-arm")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("service control policy"),
      fix: expect.stringContaining("lift the deny"),
    });
  });

  it("fails a quota below what the caps allow, with the increase to request", async () => {
    const { byId } = await check((model) => ({
      ...model,
      quotas: { ...model.quotas, "ec2/L-34B43A08": 16 },
    }));

    // linux-arm may run 10 instances of 2 vCPUs on spot.
    expect(byId("aws.quota.L-34B43A08")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("16 vCPUs; the caps allow 20"),
      fix: expect.stringContaining("--quota-code L-34B43A08 --desired-value 20"),
    });
  });

  it("fails a type EC2 does not know, and one offered in none of the pool's zones", async () => {
    const unknown = await check((model) => ({
      ...model,
      instanceTypes: model.instanceTypes?.filter((type) => type.instanceType !== "m7g.large"),
    }));
    const unoffered = await check((model) => ({
      ...model,
      offerings: model.offerings?.filter((offering) => !offering.startsWith("g5.xlarge")),
    }));

    expect(unknown.byId("aws.types.linux-arm")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("no type m7g.large"),
    });
    expect(unoffered.byId("aws.types.gpu")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("g5.xlarge offered in none"),
    });
  });

  it("fails a subnet whose internet gateway route gives no public IP, with the command", async () => {
    const { byId } = await check((model) => ({
      ...model,
      subnets: model.subnets?.map((subnet) =>
        subnet.subnetId === "subnet-0f1e2d3c4b5a69788"
          ? { ...subnet, defaultRoute: { kind: "internet-gateway", target: "igw-0123" } }
          : subnet,
      ),
    }));

    expect(byId("aws.network.linux-arm")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining(
        "aws ec2 modify-subnet-attribute --subnet-id subnet-0f1e2d3c4b5a69788 --map-public-ip-on-launch",
      ),
    });
    expect(byId("aws.network.gpu")?.status).toBe("pass");
  });

  it("fails an AMI whose architecture the pool's types cannot run", async () => {
    const { byId } = await check((model) => ({
      ...model,
      images: {
        ...model.images,
        "ami-0123456789abcdef0": { architecture: "arm64", state: "available" },
      },
    }));

    expect(byId("aws.ami.gpu")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining("g5.xlarge (x86_64) cannot run it"),
    });
  });

  it("says how to deploy a stage that is not there, and still checks the pools", async () => {
    const { byId, account } = await check((model) => ({ ...model, stages: {} }));

    expect(byId("aws.stage")).toMatchObject({
      status: "fail",
      fix: expect.stringContaining(`npx sst deploy --stage ${STAGE}`),
    });
    expect(byId("aws.fleet.gpu")?.status).toBe("fail");
    expect(byId("aws.network.gpu")?.status).toBe("pass");
    expect(account.dryRuns).toEqual([]);
  });

  it("gives the command that sets a secret still empty, and fails a webhook without its secret", async () => {
    const { byId } = await check(
      (model) => ({ ...model, secrets: { ...model.secrets, "GitlabToken-abc": null } }),
      async () => ({ status: 503, body: '{"error":"not_configured"}' }),
    );

    expect(byId("aws.secret.gitlab-token")).toMatchObject({
      status: "fail",
      fix: "aws secretsmanager put-secret-value --secret-id GitlabToken-abc --secret-string 'glpat-…'",
    });
    expect(byId("aws.webhook")).toMatchObject({
      status: "fail",
      saw: expect.stringContaining(`${WEBHOOK_URL} answered 503`),
    });
  });

  it("reports a call the credentials may not make as unchecked, and goes on", async () => {
    const { byId } = await check((model) => ({
      ...model,
      tables: new Proxy(
        {},
        {
          get: () => {
            throw Object.assign(
              new Error("User is not authorized to perform: dynamodb:DescribeTable"),
              {
                name: "AccessDeniedException",
              },
            );
          },
        },
      ),
    }));

    expect(byId("aws.table")).toMatchObject({
      status: "warn",
      saw: expect.stringContaining("AccessDeniedException"),
    });
    expect(byId("aws.fleet.gpu")?.status).toBe("pass");
  });

  it("fails credentials that cannot sign in, and stops there", async () => {
    const account = new InMemoryAwsAccount(healthyAccount(config, "t", "s"));
    account.callerIdentity = async () => {
      throw Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      });
    };
    const { results } = await runAwsChecks({
      config,
      account,
      stage: STAGE,
      probeWebhook: refusesWithoutToken,
    });

    expect(results).toEqual([
      expect.objectContaining({
        id: "aws.credentials",
        status: "fail",
        fix: expect.stringContaining("aws configure"),
      }),
    ]);
  });
});
