import { readFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigurationError } from "../errors";
import { type AutoscalerConfig, parseAutoscalerConfig } from "./autoscaler-config";

/** The config file next to package.json, unless told otherwise. */
export const DEFAULT_CONFIG_FILE = "autoscaler.config.ts";

/** Loads and validates a config file: JSON, or a module whose default export is the config. */
export const loadConfigFile = async (
  path: string = DEFAULT_CONFIG_FILE,
): Promise<AutoscalerConfig> => {
  const absolute = resolve(path);
  let raw: unknown;
  try {
    raw =
      extname(absolute) === ".json"
        ? JSON.parse(await readFile(absolute, "utf8"))
        : ((await import(pathToFileURL(absolute).href)) as { default?: unknown }).default;
  } catch (cause) {
    throw new ConfigurationError(
      `cannot read the config file ${path}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return parseAutoscalerConfig(raw);
};
