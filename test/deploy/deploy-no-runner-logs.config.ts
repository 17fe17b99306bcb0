import { defineConfig } from "@ger/core";
import operatorConfig from "./deploy-operator.config";

/** The operator settings with runner_logs off: no log group, widget, statement or key policy for it. */
export default defineConfig({ ...operatorConfig, runner_logs: { enabled: false } });
