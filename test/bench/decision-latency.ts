import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort, loadLocalSettings, startLocalStack } from "@ger/local";
import { summarize } from "./stats";

/** A pool big enough that every sample gets its own launch. */
const benchConfig = {
  deployment: "bench",
  gitlab_url: "https://gitlab.invalid",
  max_instances: 500,
  pools: [
    {
      name: "bench",
      tags: ["bench"],
      runner: { runner_type: "instance_type" },
      instance: {
        types: ["t4g.large"],
        subnets: ["subnet-0a1b2c3d4e5f60718"],
        ami: { id: "ami-0123456789abcdef0" },
      },
      max_instances: 500,
    },
  ],
};

/**
 * Control-plane decision latency in the local stack: from the moment the GitLab double fires a
 * job's pending Job Hook to the moment the scaler asks EC2 for an instance. One job at a time,
 * so each sample is one hook → webhook → DynamoDB → stream → scaler → GitLab API → launch.
 */
export const measureDecisionLatency = async (samples: number) => {
  const dir = await mkdtemp(join(tmpdir(), "bench-config-"));
  const configFile = join(dir, "autoscaler.config.json");
  await writeFile(configFile, JSON.stringify(benchConfig));
  const stack = await startLocalStack(
    loadLocalSettings({
      PORT: String(await freePort()),
      AUTOSCALER_CONFIG: configFile,
      // Instances never finish booting during the bench: each job is new demand.
      SIM_BOOT_DELAY_MS: "600000",
      SCALER_SCHEDULE_SECONDS: "3600",
    }),
  );
  const { double, simulatedEc2 } = stack.edges;
  if (!double || !simulatedEc2) throw new Error("the decision bench needs the simulated edges");
  try {
    let launchedAt = 0;
    const launch = simulatedEc2.launch.bind(simulatedEc2);
    simulatedEc2.launch = (request) => {
      launchedAt = performance.now();
      return launch(request);
    };
    let hookFiredAt = 0;
    double.model.on("job", (job) => {
      if (job.status === "pending") hookFiredAt = performance.now();
    });
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const launchesBefore = simulatedEc2.launchCalls;
      double.model.enqueue({ projectId: 1, tags: ["bench"], durationSeconds: 1 });
      const deadline = Date.now() + 10_000;
      while (simulatedEc2.launchCalls === launchesBefore && Date.now() < deadline) await sleep(1);
      if (simulatedEc2.launchCalls === launchesBefore)
        throw new Error(`no launch for sample ${i} within 10 s`);
      latencies.push(launchedAt - hookFiredAt);
    }
    return summarize(latencies);
  } finally {
    await stack.stop();
  }
};
