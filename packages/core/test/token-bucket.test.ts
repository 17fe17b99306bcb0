import { type GitlabDouble, startGitlabDouble } from "@ger/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitLabRestClient, TokenBucket } from "../src/index";

/** A clock that only moves when the bucket waits. */
const virtualTime = () => {
  let now = 0;
  const waits: number[] = [];
  return {
    now: () => now,
    wait: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    waits,
    elapsed: () => now,
  };
};

describe("TokenBucket", () => {
  it("lets a burst of `capacity` through at once, then paces the rest", async () => {
    const time = virtualTime();
    const bucket = new TokenBucket(2, 3, time.now, time.wait);

    for (let i = 0; i < 7; i++) await bucket.take();

    // 3 at once, then 4 more at 2 a second.
    expect(time.elapsed()).toBeCloseTo(2000);
  });

  it("refills while idle, up to its capacity only", async () => {
    const time = virtualTime();
    const bucket = new TokenBucket(1, 2, time.now, time.wait);
    await bucket.take();
    await bucket.take();
    await time.wait(60_000);
    const before = time.elapsed();

    await bucket.take();
    await bucket.take();
    await bucket.take();

    expect(time.elapsed() - before).toBeCloseTo(1000);
  });
});

describe("GitLabRestClient's API budget", () => {
  let gitlab: GitlabDouble;
  beforeAll(async () => {
    gitlab = await startGitlabDouble();
  });
  afterAll(() => gitlab.stop());

  it("takes a token before every request", async () => {
    const time = virtualTime();
    const budget = new TokenBucket(1, 1, time.now, time.wait);
    const client = new GitLabRestClient({
      baseUrl: gitlab.url,
      token: async () => gitlab.adminToken,
      budget,
    });

    await Promise.all([1, 2, 3].map((id) => client.getJob(1, id)));

    expect(time.elapsed()).toBeCloseTo(2000);
  });
});
