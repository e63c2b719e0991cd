// What `npm run alerts` and `npm run dashboards` share: reading the operator's config named by
// --config, and writing the generated files into a folder.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { type AlertsConfig, defaultConfig, loadConfig } from "./config.js";

/** The config in effect: the file's settings over the defaults. Throws, with the reason, on a
 * file that cannot be read or does not validate. */
export function configFromFlag(file: string | undefined): AlertsConfig {
  return file === undefined ? defaultConfig : loadConfig(file);
}

/**
 * Writes `files` into `out` and prints each path. In the checkout's own folder (`ownDir`),
 * files ending in `suffix` that the sources no longer produce are removed so that none lingers
 * stale; an operator's folder may hold files of its own and is left alone.
 */
export function writeGenerated(
  files: ReadonlyMap<string, string>,
  out: string,
  ownDir: string,
  suffix: string,
): void {
  mkdirSync(out, { recursive: true });
  if (resolve(out) === resolve(ownDir)) {
    for (const name of readdirSync(out)) {
      if (name.endsWith(suffix) && !files.has(name)) rmSync(join(out, name));
    }
  }
  for (const [name, text] of files) {
    writeFileSync(join(out, name), text);
    process.stdout.write(`wrote ${relative(process.cwd(), join(out, name)) || name}\n`);
  }
}
