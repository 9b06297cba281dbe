// Loaded with --import: records the URL of every ES module the process loads into the file
// named by X402_TEST_MODULE_TAP, so a test can see what start-up pulled in.
import { register } from "node:module";

register("./moduleTapHooks.mjs", import.meta.url, { data: { file: process.env.X402_TEST_MODULE_TAP } });
