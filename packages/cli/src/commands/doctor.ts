import { loadConfigFile, systemClock } from "@ger/core";
import { resolveDeploymentTarget } from "../deployment-target";
import { doctorContextFor } from "../doctor/doctor-context";
import { formatDoctorReport } from "../doctor/format-doctor";
import { runDoctor } from "../doctor/run-doctor";

export interface DoctorOptions {
  readonly stage?: string;
  readonly config?: string;
  readonly json: boolean;
}

/** `doctor [--stage NAME] [--json]`: exit status 1 on any ✗. */
export const runDoctorCommand = async (
  options: DoctorOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> => {
  const config = await loadConfigFile(options.config ?? env.AUTOSCALER_CONFIG);
  const target = await resolveDeploymentTarget(options, config, env);
  try {
    const report = await runDoctor(doctorContextFor(target, systemClock));
    console.log(
      options.json
        ? JSON.stringify(report, null, 2)
        : formatDoctorReport(report, target.description),
    );
    return report.ok ? 0 : 1;
  } finally {
    target.close();
  }
};
