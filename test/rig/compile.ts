import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";

const require = createRequire(import.meta.url);

/** Contract name → the file under contracts/ that defines it. */
const CONTRACTS = {
  TestUSDC: "TestUSDC.sol",
  Multicall3: "Multicall3.sol",
  PlainToken: "PlainToken.sol",
  X402ExactPermit2Proxy: "X402ExactPermit2Proxy.sol",
  X402UptoPermit2Proxy: "X402UptoPermit2Proxy.sol",
} as const;
/** Every file compiled, imported ones included (solc gets no import callback). */
const SOURCES = [...new Set(Object.values(CONTRACTS)), "X402Permit2ProxyBase.sol"];

// Pinned rather than solc's default so the bytecode never needs opcodes newer than anvil's fork.
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["evm.deployedBytecode.object"] } },
} as const;

/** Runtime (deployed) bytecode of each rig contract, ready for anvil_setCode. */
export type CompiledContracts = Record<keyof typeof CONTRACTS, Hex>;

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { evm: { deployedBytecode: { object: string } } }>>;
}

/**
 * Runtime bytecode of the rig's contracts. solc-js takes seconds to load, so results are cached
 * under the OS temp dir keyed by source + compiler version + settings.
 */
export function compileContracts(): CompiledContracts {
  const contractsDir = findContractsDir();
  const sources = Object.fromEntries(
    SOURCES.map((file) => [file, { content: readFileSync(join(contractsDir, file), "utf8") }]),
  );
  // Read from package.json so a cache hit never has to load the (slow) compiler itself.
  const solcVersion = (require("solc/package.json") as { version: string }).version;
  return cachedBuild(
    { sources, solcVersion, SETTINGS },
    (cached): cached is CompiledContracts =>
      typeof cached === "object" &&
      cached !== null &&
      Object.keys(CONTRACTS).every((name) => isHex((cached as Record<string, unknown>)[name])),
    () => runSolc(sources),
  );
}

/**
 * TestUSDC's runtime bytecode with another EIP-712 name and version: the stand-in for another
 * network's USDC, whose domain the official server puts into `extra`. They are constants in
 * the source (anvil_setCode runs no constructor, so nothing could set them later).
 */
export function compileTestUsdcVariant(eip712: { name: string; version: string }): Hex {
  for (const value of [eip712.name, eip712.version]) {
    if (!/^[\x20-\x7e]+$/.test(value) || /["\\]/.test(value)) throw new Error(`test rig: ${JSON.stringify(value)} cannot be a plain Solidity string literal`);
  }
  const original = readFileSync(join(findContractsDir(), CONTRACTS.TestUSDC), "utf8");
  const content = original
    .replace(/string public constant name = "[^"]*";/, `string public constant name = "${eip712.name}";`)
    .replace(/string public constant version = "[^"]*";/, `string public constant version = "${eip712.version}";`);
  if (!content.includes(`name = "${eip712.name}";`) || !content.includes(`version = "${eip712.version}";`)) {
    throw new Error(`test rig: ${CONTRACTS.TestUSDC} no longer declares its name and version as constants`);
  }
  const sources = { [CONTRACTS.TestUSDC]: { content } };
  const solcVersion = (require("solc/package.json") as { version: string }).version;
  return cachedBuild({ sources, solcVersion, SETTINGS }, isHex, () => pickBytecode(solcOutput(sources), CONTRACTS.TestUSDC, "TestUSDC"));
}

/**
 * The result of `build()`, cached as JSON under the OS temp dir by a hash of `keyMaterial`
 * (everything the result depends on). An entry that fails `isValid` is built again.
 */
export function cachedBuild<T>(keyMaterial: unknown, isValid: (cached: unknown) => cached is T, build: () => T): T {
  const key = createHash("sha256").update(JSON.stringify(keyMaterial)).digest("hex");
  const cacheDir = join(tmpdir(), "x402-rig-solc-cache");
  const cacheFile = join(cacheDir, `${key.slice(0, 32)}.json`);

  try {
    const cached: unknown = JSON.parse(readFileSync(cacheFile, "utf8"));
    if (isValid(cached)) return cached;
  } catch {
    // cache miss or unreadable entry: build below
  }

  const built = build();
  mkdirSync(cacheDir, { recursive: true });
  // Write-then-rename: parallel test workers may compile at the same time.
  const tmpFile = `${cacheFile}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmpFile, JSON.stringify(built));
  renameSync(tmpFile, cacheFile);
  return built;
}

/**
 * Next to this module when run from source (tsx, vitest); a compiled copy of the rig (e.g. a
 * demo built into dist-demo/) has no .sol files beside it, so walk up to the repo's test/rig.
 */
function findContractsDir(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "contracts"), join(dir, "test", "rig", "contracts")]) {
      if (existsSync(join(candidate, CONTRACTS.TestUSDC))) return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(`test rig: cannot find contracts/${CONTRACTS.TestUSDC} above ${start}`);
}

function runSolc(sources: Record<string, { content: string }>): CompiledContracts {
  const output = solcOutput(sources);
  const names = Object.keys(CONTRACTS) as (keyof typeof CONTRACTS)[];
  return Object.fromEntries(names.map((name) => [name, pickBytecode(output, CONTRACTS[name], name)])) as CompiledContracts;
}

function solcOutput(sources: Record<string, { content: string }>): SolcOutput {
  let solc: { compile(input: string): string };
  try {
    solc = require("solc") as typeof solc;
  } catch (err) {
    throw new Error(`test rig: cannot load solc (devDependency "solc"): ${(err as Error).message}`);
  }
  const output = JSON.parse(
    solc.compile(JSON.stringify({ language: "Solidity", sources, settings: SETTINGS })),
  ) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`test rig: solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  return output;
}

function pickBytecode(output: SolcOutput, file: string, name: string): Hex {
  const object = output.contracts?.[file]?.[name]?.evm.deployedBytecode.object;
  if (!object) throw new Error(`test rig: solc produced no bytecode for ${file}:${name}`);
  return `0x${object}`;
}

function isHex(value: unknown): value is Hex {
  return typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value);
}
