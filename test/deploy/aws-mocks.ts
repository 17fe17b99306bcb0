import { createHash } from "node:crypto";
import { type PolicyDocumentArgs, policyDocumentJson } from "./policy-document";

/*
 * What AWS would answer the program: each resource's outputs as the provider returns them after a
 * create (ids and ARNs in AWS's formats, names as the provider auto-names them) and each data source
 * it reads. Deterministic: every id is a hash of the resource's logical name.
 */

/** The account, region and partition the mocks deploy into. */
export interface MockAccount {
  readonly account: string;
  readonly region: string;
  readonly partition: string;
}

type Values = Record<string, unknown>;

/** Pulumi's MockResourceArgs and MockCallArgs, as far as the mocks read them. */
export interface ResourceRequest {
  readonly type: string;
  readonly name: string;
  readonly inputs: Values;
}
export interface CallRequest {
  readonly token: string;
  readonly inputs: Values;
}

const hex = (seed: string, length: number) =>
  createHash("sha256").update(seed).digest("hex").slice(0, length);

/** Types whose physical name is not `name`: the property the provider auto-names if not given. */
export const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
  "aws:cloudwatch/eventTarget:EventTarget": "targetId",
  "aws:lambda/permission:Permission": "statementId",
  "aws:s3/bucket:Bucket": "bucket",
};

/** The provider's auto-name: the logical name and seven random characters (lower case for S3). */
export const autoName = (type: string, name: string) => {
  const named = `${name}-${hex(`${type}/${name}`, 7)}`;
  return type === "aws:s3/bucket:Bucket" ? named.toLowerCase() : named;
};

/** The physical name a resource gets: the program's, else the provider's auto-name. */
const physicalName = (type: string, name: string, inputs: Values) => {
  const property = NAME_PROPERTIES[type] ?? "name";
  const given = inputs[property];
  return typeof given === "string" ? given : autoName(type, name);
};

const serviceOf = (type: string) => type.split(":")[1]?.split("/")[0] ?? "";

/** What AWS assigns a created resource: its id, ARN, generated name; its outputs add its inputs. */
export const assignedOutputs = (
  where: MockAccount,
  { type, name, inputs }: ResourceRequest,
): { id: string; assigned: Values } => {
  const { account, region, partition } = where;
  const physical = physicalName(type, name, inputs);
  const arn = (service: string, resource: string, scope = `${region}:${account}`) =>
    `arn:${partition}:${service}:${scope}:${resource}`;
  const named = { [NAME_PROPERTIES[type] ?? "name"]: physical };
  const created = (id: string, assigned: Values) => ({ id, assigned: { ...named, ...assigned } });

  switch (type) {
    case "aws:dynamodb/table:Table": {
      const tableArn = arn("dynamodb", `table/${physical}`);
      return created(physical, {
        arn: tableArn,
        ...(inputs.streamEnabled === true && {
          streamArn: `${tableArn}/stream/2026-01-01T00:00:00.000`,
          streamLabel: "2026-01-01T00:00:00.000",
        }),
      });
    }
    // IAM's ARNs carry the path: role/<path><name>.
    case "aws:iam/role:Role":
      return created(physical, {
        arn: arn("iam", `role${inputs.path ?? "/"}${physical}`, `:${account}`),
        uniqueId: `AROA${hex(name, 17).toUpperCase()}`,
      });
    case "aws:iam/instanceProfile:InstanceProfile":
      return created(physical, {
        arn: arn("iam", `instance-profile${inputs.path ?? "/"}${physical}`, `:${account}`),
      });
    case "aws:lambda/function:Function": {
      const functionArn = arn("lambda", `function:${physical}`);
      return created(physical, {
        arn: functionArn,
        qualifiedArn: `${functionArn}:$LATEST`,
        version: "$LATEST",
        invokeArn: `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
      });
    }
    case "aws:sqs/queue:Queue": {
      const url = `https://sqs.${region}.amazonaws.com/${account}/${physical}`;
      return created(url, { url, arn: arn("sqs", physical) });
    }
    case "aws:secretsmanager/secret:Secret": {
      const secretArn = arn("secretsmanager", `secret:${physical}-${hex(name, 6)}`);
      return created(secretArn, { arn: secretArn });
    }
    case "aws:s3/bucket:Bucket":
      return created(physical, { arn: `arn:${partition}:s3:::${physical}` });
    case "aws:ec2/launchTemplate:LaunchTemplate": {
      const id = `lt-${hex(name, 17)}`;
      return created(id, { arn: arn("ec2", `launch-template/${id}`), latestVersion: 1 });
    }
    case "aws:ec2/securityGroup:SecurityGroup": {
      const id = `sg-${hex(name, 17)}`;
      return created(id, { arn: arn("ec2", `security-group/${id}`) });
    }
    case "aws:apigatewayv2/api:Api": {
      const id = hex(name, 10);
      return created(id, {
        apiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com`,
        executionArn: arn("execute-api", id),
        arn: arn("apigateway", `/apis/${id}`, region),
      });
    }
    case "aws:cloudwatch/logGroup:LogGroup":
      return created(physical, { arn: arn("logs", `log-group:${physical}`) });
    case "aws:cloudwatch/eventRule:EventRule":
      return created(physical, { arn: arn("events", `rule/${physical}`) });
    case "random:index/randomBytes:RandomBytes": {
      const bytes = createHash("sha256").update(name).digest().subarray(0, Number(inputs.length));
      return created(name, { base64: bytes.toString("base64"), hex: bytes.toString("hex") });
    }
    default:
      return created(`${physical}-id`, { arn: arn(serviceOf(type), physical) });
  }
};

/** The subnets' VPC: every subnet the config names is in it. */
const vpcOf = (where: MockAccount) => `vpc-${hex(where.account, 17)}`;

/** What the program's data sources read; a data source not listed fails the run, named. */
export const dataSourceResult = (where: MockAccount, { token, inputs }: CallRequest): Values => {
  const { account, region, partition } = where;
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: account,
        arn: `arn:${partition}:sts::${account}:assumed-role/deployer/session`,
        id: account,
        userId: `AROA${hex(account, 17).toUpperCase()}:session`,
      };
    case "aws:index/getPartition:getPartition":
      return {
        partition,
        id: partition,
        dnsSuffix: "amazonaws.com",
        reverseDnsPrefix: "com.amazonaws",
      };
    case "aws:index/getRegion:getRegion":
      return { region, name: region, id: region, endpoint: `ec2.${region}.amazonaws.com` };
    case "aws:ec2/getSubnet:getSubnet":
      return {
        id: inputs.id,
        arn: `arn:${partition}:ec2:${region}:${account}:subnet/${inputs.id}`,
        vpcId: vpcOf(where),
      };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      // SST reads `statements` back: without them a function role gets no inline policy.
      return {
        ...inputs,
        id: hex(JSON.stringify(inputs), 10),
        json: policyDocumentJson(inputs as PolicyDocumentArgs),
      };
    default:
      throw new Error(
        `the deploy harness does not mock the data source ${token}: add it to test/deploy/aws-mocks.ts`,
      );
  }
};
