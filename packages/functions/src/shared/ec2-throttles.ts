import type { EC2Client } from "@aws-sdk/client-ec2";

const THROTTLING_CODES = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException"]);

/**
 * Calls `onThrottle` for every attempt EC2 refuses for rate. The SDK retries those by itself; this
 * sits inside its retry loop and outside the deserializer (deserialize step, high priority), so each
 * refused attempt is seen as the error it was parsed into.
 */
export const countEc2Throttles = (client: EC2Client, onThrottle: () => void): void => {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (THROTTLING_CODES.has((error as { name?: string }).name ?? "")) onThrottle();
        throw error;
      }
    },
    { step: "deserialize", priority: "high", name: "countEc2Throttles" },
  );
};
