import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { TOKEN_READER_TAG } from "@ger/core";
import { mockClient } from "aws-sdk-client-mock";

const notFound = () =>
  new ParameterNotFound({ message: "Parameter not found", $metadata: { httpStatusCode: 400 } });

/**
 * Parameter Store as far as the token drop uses it, behind the SDK mock, answering with SSM's
 * real errors: reading or deleting a missing parameter is ParameterNotFound, creating one that
 * exists ParameterAlreadyExists, and Tags with Overwrite a ValidationException.
 */
export const parameterStore = () => {
  const parameters = new Map<string, { value: string; reader?: string }>();
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).callsFake(({ Name }) => {
    const parameter = parameters.get(Name);
    if (!parameter) throw notFound();
    return { Parameter: { Name, Type: "SecureString", Value: parameter.value, Version: 1 } };
  });
  ssm.on(PutParameterCommand).callsFake(({ Name, Value, Tags, Overwrite }) => {
    if (Tags && Overwrite)
      throw Object.assign(
        new Error(
          "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag.",
        ),
        { name: "ValidationException" },
      );
    if (parameters.has(Name) && !Overwrite)
      throw new ParameterAlreadyExists({
        message:
          "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
        $metadata: { httpStatusCode: 400 },
      });
    const reader = Tags?.find((tag: { Key: string }) => tag.Key === TOKEN_READER_TAG)?.Value;
    parameters.set(Name, { value: Value, ...(reader && { reader }) });
    return { Version: 1, Tier: "Standard" };
  });
  ssm.on(DeleteParameterCommand).callsFake(({ Name }) => {
    if (!parameters.delete(Name)) throw notFound();
    return {};
  });
  return { parameters, ssm, restore: () => ssm.restore() };
};
