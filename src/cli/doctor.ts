import { familyOf } from "../chains/index.js";
import { checkUnknownTransfers } from "./doctorTransfers.js";
import { formatTable, print } from "./output.js";
import {
  checkConfig,
  checkKey,
  checkKeyExposure,
  checkKeyFilePermissions,
  checkLedger,
  checkNetworks,
  checkSolanaKey,
  checkSolanaKeyExposure,
  RPC_TIMEOUT_MS,
  type Check,
} from "./doctorChecks.js";
import { parseCommandArgs } from "./usage.js";

/**
 * `x402-wallet-mcp doctor`: every check as a row of pass / warn / fail / skip, each problem
 * with its fix. Exit code 1 when a check fails; warnings alone exit 0.
 */
export async function runDoctor(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { values } = parseCommandArgs("doctor", args, { config: { type: "string" } });
  const { check: configCheck, config } = checkConfig(values.config, env);
  const { check: keyCheck, account } = checkKey(env, config);
  const { check: solanaCheck, signer: solana } = checkSolanaKey(env, config);
  const checks: Check[] = [configCheck, keyCheck, checkKeyFilePermissions(env), await checkKeyExposure(env, process.cwd())];
  if (solanaCheck) checks.push(solanaCheck);
  const solanaExposure = await checkSolanaKeyExposure(env, process.cwd());
  if (solanaExposure) checks.push(solanaExposure);
  if (config) {
    const addressOn = (network: string) => ((familyOf(network)?.namespace === "solana" ? solana : account)?.address ?? null);
    const [networks, ledger] = await Promise.all([checkNetworks(config, addressOn), checkLedger(config, account?.address ?? null)]);
    checks.push(...networks, ...ledger);
    const transfers = await checkUnknownTransfers(config, account, RPC_TIMEOUT_MS).catch(() => null);
    if (transfers) checks.push(transfers);
  } else {
    checks.push({ name: "networks and ledger", status: "skip", detail: "not checked: the config does not load" });
  }
  print(report(checks));
  return checks.some((c) => c.status === "fail") ? 1 : 0;
}

function report(checks: Check[]): string {
  const rows = checks.map((c) => [c.status.toUpperCase(), c.name, c.fix ? `${c.detail}\nfix: ${c.fix}` : c.detail]);
  const count = (status: Check["status"]) => checks.filter((c) => c.status === status).length;
  const failed = count("fail");
  const summary = `${checks.length} checks: ${count("pass")} passed, ${count("warn")} warning(s), ${failed} failed, ${count("skip")} skipped.`;
  return [
    formatTable([["STATUS", "CHECK", "DETAIL"], ...rows]),
    "",
    failed > 0 ? `${summary} Fix the failed checks, then run doctor again.` : summary,
  ].join("\n");
}
