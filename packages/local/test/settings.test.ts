import { describe, expect, it } from "vitest";
import { loadLocalSettings } from "../src/index";

describe("loadLocalSettings", () => {
  it("defaults to the simulated edges on port 8080", () => {
    expect(loadLocalSettings({})).toMatchObject({
      PORT: 8080,
      WEBHOOK_SECRET: "local-webhook-secret",
      SIM_BOOT_DELAY_MS: 3000,
    });
  });

  it("names a bad variable", () => {
    expect(() => loadLocalSettings({ PORT: "eighty" })).toThrow("PORT: must be a whole number");
  });

  it("refuses a real GitLab without real EC2, so simulated runners never take real jobs", () => {
    expect(() =>
      loadLocalSettings({ GITLAB_URL: "https://gitlab.com", GITLAB_TOKEN: "glpat-x" }),
    ).toThrow("GITLAB_URL is set, so LAUNCH_TEMPLATES, AWS_ACCOUNT_ID, AWS_REGION must be too");
  });

  it("refuses real edges with the public default webhook secret", () => {
    expect(() =>
      loadLocalSettings({
        GITLAB_URL: "https://gitlab.com",
        GITLAB_TOKEN: "glpat-x",
        LAUNCH_TEMPLATES: '{"linux-arm":{"launchTemplateId":"lt-0123","version":"1"}}',
        AWS_ACCOUNT_ID: "123456789012",
        AWS_REGION: "eu-west-1",
      }),
    ).toThrow("set WEBHOOK_SECRET to a secret of your own");
  });

  it("accepts a complete set of real edges", () => {
    const settings = loadLocalSettings({
      WEBHOOK_SECRET: "a-secret-of-the-operators-own-0123456789",
      GITLAB_URL: "https://gitlab.com",
      GITLAB_TOKEN: "glpat-x",
      LAUNCH_TEMPLATES: '{"linux-arm":{"launchTemplateId":"lt-0123","version":"1"}}',
      AWS_ACCOUNT_ID: "123456789012",
      AWS_REGION: "eu-west-1",
    });

    expect(settings.LAUNCH_TEMPLATES).toEqual({
      "linux-arm": { launchTemplateId: "lt-0123", version: "1" },
    });
  });
});
