import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import { countEc2Throttles } from "../src/shared/ec2-throttles";

/** EC2's own answer when a request bucket is empty: HTTP 503 with the Query API's XML error. */
const requestLimitExceeded = () =>
  new Response(
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>5b2f0ad9-9e49-4b1b-bc44-6a1b7bd7c0c0</RequestID></Response>',
    { status: 503, headers: { "content-type": "text/xml;charset=UTF-8" } },
  );
const noInstances = () =>
  new Response(
    '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>8f7724cf-496f-496e-8fe3-example</requestId><reservationSet/></DescribeInstancesResponse>',
    { status: 200, headers: { "content-type": "text/xml;charset=UTF-8" } },
  );

/** An EC2 client whose HTTP layer answers from a script, one response per attempt. */
const scriptedClient = (responses: (() => Response)[]) => {
  let attempts = 0;
  const client = new EC2Client({
    region: "eu-central-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 3,
    requestHandler: {
      handle: async () => {
        const response = (responses[attempts++] ?? noInstances)();
        return {
          response: {
            statusCode: response.status,
            headers: Object.fromEntries(response.headers),
            body: Buffer.from(await response.arrayBuffer()),
          },
        };
      },
    },
  });
  return { client, attempts: () => attempts };
};

describe("countEc2Throttles", () => {
  it("counts every attempt EC2 refuses for rate, including the ones the SDK retries", async () => {
    const { client, attempts } = scriptedClient([requestLimitExceeded, requestLimitExceeded]);
    let throttles = 0;
    countEc2Throttles(client, () => {
      throttles += 1;
    });

    const output = await client.send(new DescribeInstancesCommand({}));

    expect(output.Reservations ?? []).toEqual([]);
    expect(attempts()).toBe(3);
    expect(throttles).toBe(2);
  });
});
