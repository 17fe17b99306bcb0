import { DecodeAuthorizationMessageCommand, type STSClient } from "@aws-sdk/client-sts";
import { undefinedOn } from "./sdk-calls";

/** How EC2 appends the encoded reason of a denial to its message. */
const ENCODED_MESSAGE = /Encoded authorization failure message: ([\w-]+)/;

/**
 * Decoding refused (the caller lacks sts:DecodeAuthorizationMessage) or impossible (the message
 * expired or was cut): the denial stands without its reason.
 */
const UNDECODABLE = ["AccessDenied", "InvalidAuthorizationMessageException"];

/** The parts of a decoded authorization message that say what was refused, and by what. */
interface DecodedAuthorization {
  readonly explicitDeny?: boolean;
  readonly matchedStatements?: {
    readonly items?: readonly { readonly statementId?: string; readonly effect?: string }[];
  };
  readonly context?: { readonly action?: string; readonly resource?: string };
}

/** One line: the refused action on the resource, and whether a statement denies it or none allows it. */
export const summarizeAuthorization = (decoded: string): string | undefined => {
  let parsed: DecodedAuthorization | null;
  try {
    parsed = JSON.parse(decoded);
  } catch {
    return undefined;
  }
  const action = parsed?.context?.action;
  if (!action) return undefined;
  const resource = parsed?.context?.resource;
  const refused = resource ? `${action} on ${resource}` : action;
  if (!parsed?.explicitDeny) return `no statement allows ${refused}`;
  const statement = parsed.matchedStatements?.items?.find((item) => item.effect === "DENY");
  return statement?.statementId
    ? `statement ${statement.statementId} explicitly denies ${refused}`
    : `an explicit deny refuses ${refused}`;
};

/** Why IAM refused, from the encoded message in an UnauthorizedOperation's text, when STS tells. */
export const authorizationReason = async (
  sts: STSClient,
  message: string,
): Promise<string | undefined> => {
  const encoded = ENCODED_MESSAGE.exec(message)?.[1];
  if (!encoded) return undefined;
  const decoded = await undefinedOn(UNDECODABLE, () =>
    sts.send(new DecodeAuthorizationMessageCommand({ EncodedMessage: encoded })),
  );
  return decoded?.DecodedMessage === undefined
    ? undefined
    : summarizeAuthorization(decoded.DecodedMessage);
};
