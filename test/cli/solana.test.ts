import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRig, type Rig, type RigWallet } from "../rig/index.js";
import { DEVNET_GENESIS_HASH, startSolanaRig, type SolanaRig, type SolanaRigWallet } from "../rig/solana/index.js";
import { encodeBase58 } from "../../src/chains/solana/base58.js";
import { solanaSigner } from "../../src/chains/solana/signer.js";
import { containsKey, doctorRows, runCli, tempHome, writeConfig } from "./run.js";

const DEVNET = "solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1";
const MAINNET = "solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp";

function solanaKeyFile(dir: string, wallet: SolanaRigWallet, mode = 0o600): string {
  mkdirSync(join(dir, "wallet"), { recursive: true, mode: 0o700 });
  const path = join(dir, "wallet", "solana.json");
  writeFileSync(path, JSON.stringify([...wallet.secretKey]), { mode });
  chmodSync(path, mode);
  return path;
}

/** Every form the Solana key could leak in: base58, the JSON array, and the seed's hex. */
function leaksSolanaKey(text: string, secretKey: Uint8Array, base58: string): boolean {
  return text.includes(base58) || text.includes(JSON.stringify([...secretKey])) || containsKey(text, Buffer.from(secretKey.subarray(0, 32)).toString("hex"));
}

describe("CLI with a Solana key", () => {
  let rig: Rig;
  let solana: SolanaRig;
  let evm: RigWallet;
  let wallet: SolanaRigWallet;
  beforeAll(async () => {
    [rig, solana] = await Promise.all([startRig(), startSolanaRig()]);
    evm = await rig.newWallet(2_000_000n);
    wallet = await solana.newWallet(3_250_000n);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([rig?.stop(), solana?.stop()]);
  });

  it("init --solana writes a 0600 solana-keygen JSON keypair, prints its address and how to fund it, never the key", async () => {
    const { dir, env } = tempHome();
    const result = await runCli(["init", "--solana"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const path = join(dir, ".config", "x402-wallet-mcp", "solana-key.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, "utf8");
    const bytes = JSON.parse(text) as number[];
    expect(bytes).toHaveLength(64);
    const address = solanaSigner(text, "test").address;
    expect(result.stdout).toMatch(new RegExp(`^  address +${address}$`, "m"));
    expect(result.stdout).toContain(`Fund it: send USDC on Solana (${MAINNET}) to ${address}. No SOL is needed: the facilitator pays the fee.`);
    expect(result.stdout).toContain(`Solana Devnet USDC (${DEVNET})`);
    expect(result.stdout).toContain(`"X402_SOLANA_KEY_FILE": "${path}"`);
    expect(result.stdout).toContain(`"X402_NETWORKS": "${MAINNET},${DEVNET}"`);
    expect(leaksSolanaKey(result.stdout + result.stderr, Uint8Array.from(bytes), encodeBase58(Uint8Array.from(bytes)))).toBe(false);
    // The EVM key is not made by --solana, and plain init still makes only that one.
    expect(() => statSync(join(dir, ".config", "x402-wallet-mcp", "key"))).toThrow();

    const again = await runCli(["init", "--solana"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`a key file already exists at ${path} (Solana wallet ${address}). It was left unchanged.`);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("the help says init makes the EVM key by default and the Solana key with --solana", async () => {
    const { env } = tempHome();
    const result = await runCli(["--help"], env);
    expect(result.stdout).toContain("an EVM key by default, a Solana key (solana-keygen's JSON format) with --solana");
    expect(result.stdout).toContain("X402_SOLANA_KEY_FILE");
  });

  it("doctor passes both families: the Solana key, the RPC's genesis hash and the USDC of the Solana address", async () => {
    const { dir, env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532", DEVNET], rpc: { "eip155:84532": rig.rpcUrl, [DEVNET]: solana.rpcUrl } });
    const keyPath = solanaKeyFile(dir, wallet);
    const result = await runCli(["doctor", "--config", config], { ...env, X402_PRIVATE_KEY: evm.privateKey, X402_SOLANA_KEY_FILE: keyPath });
    expect(result.stderr).toBe("");
    const rows = doctorRows(result.stdout);
    for (const [name, row] of rows) expect(row.status, `${name}: ${row.text}`).toBe(name === "key file permissions" ? "SKIP" : "PASS");
    expect(result.code).toBe(0);
    expect(rows.get("solana key")?.text).toBe(`Solana wallet ${wallet.address} (from the key file ${keyPath}, mode 0600)`);
    expect(rows.get(`rpc ${DEVNET}`)?.text).toBe(`${solana.rpcUrl} answers, genesis hash ${DEVNET_GENESIS_HASH.slice(0, 32)}… (Solana Devnet)`);
    expect(rows.get(`usdc ${DEVNET}`)?.text).toBe("3.25 USDC");
    expect(rows.get("usdc eip155:84532")?.text).toBe("2.00 USDC");
    expect(leaksSolanaKey(result.stdout, wallet.secretKey, wallet.secretKeyBase58)).toBe(false);
  });

  it("doctor fails with a fix when the RPC serves another cluster, and points a Solana-only setup without a key at init --solana", async () => {
    const { env } = tempHome();
    const wrong = writeConfig({ networks: [MAINNET], rpc: { [MAINNET]: solana.rpcUrl } });
    const result = await runCli(["doctor", "--config", wrong], { ...env, X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 });
    expect(result.code).toBe(1);
    const rows = doctorRows(result.stdout);
    expect(rows.get("wallet key")).toEqual({ status: "SKIP", text: "no EVM key, and no EVM network enabled" });
    expect(rows.get(`rpc ${MAINNET}`)).toEqual({
      status: "FAIL",
      text:
        `${solana.rpcUrl} answers for genesis hash EtWTRABZaYq6iMfeYKouRu166VU2xqa1… (Solana Devnet), expected genesis hash 5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp… (Solana)\n` +
        `fix: check your connection, or set rpc["${MAINNET}"] in the config to an RPC URL of genesis hash 5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp… (Solana) that answers`,
    });
    expect(rows.get(`usdc ${MAINNET}`)?.status).toBe("SKIP");
    expect(leaksSolanaKey(result.stdout + result.stderr, wallet.secretKey, wallet.secretKeyBase58)).toBe(false);

    const noKey = await runCli(["doctor", "--config", writeConfig({ networks: [DEVNET], rpc: { [DEVNET]: solana.rpcUrl } })], env);
    expect(noKey.code).toBe(1);
    expect(doctorRows(noKey.stdout).get("solana key")?.text).toMatch(/no Solana key is configured.*\nfix: run `x402-wallet-mcp init --solana`/s);
  });

  it("doctor fails a Solana key file others can read, with chmod as the fix, and never shows the key", async () => {
    const { dir, env } = tempHome();
    const keyPath = solanaKeyFile(dir, wallet, 0o644);
    const config = writeConfig({ networks: [DEVNET], rpc: { [DEVNET]: solana.rpcUrl } });
    const result = await runCli(["doctor", "--config", config], { ...env, X402_SOLANA_KEY_FILE: keyPath });
    expect(result.code).toBe(1);
    const row = doctorRows(result.stdout).get("solana key");
    expect(row?.status).toBe("FAIL");
    expect(row?.text).toContain(`fix: chmod 600 ${keyPath}`);
    expect(leaksSolanaKey(result.stdout + result.stderr, wallet.secretKey, wallet.secretKeyBase58)).toBe(false);
  });

  it("doctor warns when the Solana key is pasted into an MCP client's config, naming the file and never the key", async () => {
    const { dir, env } = tempHome();
    mkdirSync(join(dir, ".cursor"), { recursive: true });
    const cursor = join(dir, ".cursor", "mcp.json");
    writeFileSync(cursor, JSON.stringify({ mcpServers: { wallet: { env: { X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 } } } }));
    const config = writeConfig({ networks: [DEVNET], rpc: { [DEVNET]: solana.rpcUrl } });
    const exposed = await runCli(["doctor", "--config", config], { ...env, X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 });
    expect(doctorRows(exposed.stdout).get("solana key exposure")).toEqual({
      status: "WARN",
      text:
        `the Solana key is in plain text in:\n${cursor} (Cursor)\n` +
        "fix: put the key in a file only you can read (chmod 600), set X402_SOLANA_KEY_FILE to its path instead of X402_SOLANA_PRIVATE_KEY, and delete the key from the file(s) above",
    });
    expect(leaksSolanaKey(exposed.stdout + exposed.stderr, wallet.secretKey, wallet.secretKeyBase58)).toBe(false);
    // The same key read from its file is found in the client config too; another key is not.
    const fromFile = await runCli(["doctor", "--config", config], { ...env, X402_SOLANA_KEY_FILE: solanaKeyFile(dir, wallet) });
    expect(doctorRows(fromFile.stdout).get("solana key exposure")?.status).toBe("WARN");
    const other = await solana.newWallet();
    const clean = await runCli(["doctor", "--config", config], { ...env, X402_SOLANA_PRIVATE_KEY: other.secretKeyBase58 });
    expect(doctorRows(clean.stdout).get("solana key exposure")?.status).toBe("PASS");
  });

  it("balance shows the EVM and the Solana address and each network's USDC, read on its chain", async () => {
    const { dir, env } = tempHome();
    const config = writeConfig({ networks: ["eip155:84532", DEVNET], rpc: { "eip155:84532": rig.rpcUrl, [DEVNET]: solana.rpcUrl } });
    const result = await runCli(["balance", "--config", config], { ...env, X402_PRIVATE_KEY: evm.privateKey, X402_SOLANA_KEY_FILE: solanaKeyFile(dir, wallet) });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`Wallet ${evm.address}`);
    expect(lines[1]).toBe(`Solana wallet ${wallet.address}`);
    expect(result.stdout).toMatch(/^Base Sepolia \(eip155:84532\)\s+2\.00 USDC$/m);
    expect(result.stdout).toMatch(new RegExp(`^Solana Devnet \\(${DEVNET}\\)\\s+3\\.25 USDC$`, "m"));
    expect(await solana.usdcBalanceOf(wallet.address)).toBe(3_250_000n);
    expect(containsKey(result.stdout, evm.privateKey)).toBe(false);
    expect(leaksSolanaKey(result.stdout, wallet.secretKey, wallet.secretKeyBase58)).toBe(false);
  });

  it("balance with only a Solana key names it the Solana wallet", async () => {
    const { env } = tempHome();
    const config = writeConfig({ networks: [DEVNET], rpc: { [DEVNET]: solana.rpcUrl } });
    const result = await runCli(["balance", "--config", config], { ...env, X402_SOLANA_PRIVATE_KEY: wallet.secretKeyBase58 });
    expect(result.code).toBe(0);
    expect(result.stdout.split("\n")[0]).toBe(`Solana wallet ${wallet.address}`);
    expect(leaksSolanaKey(result.stdout + result.stderr, wallet.secretKey, wallet.secretKeyBase58)).toBe(false);
  });
});
