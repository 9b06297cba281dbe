import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/server/agentAuth.js";
import { connectHttp, startHttpServer, type HttpServerProcess } from "../e2e/httpProcess.js";
import { startRig, type Rig } from "../rig/index.js";
import { runCli, tempHome, writeConfig } from "./run.js";

/** `serve --http` as a user runs it: a process, an agent with a token, SIGTERM to stop. */
describe("x402-wallet-mcp serve --http", () => {
  let rig: Rig;
  let server: HttpServerProcess;
  const agentToken = randomBytes(24).toString("base64url");
  const { env } = tempHome();

  beforeAll(async () => {
    rig = await startRig();
    const wallet = await rig.newWallet(1_000_000n);
    const configPath = writeConfig({
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": rig.rpcUrl },
      hosts: { allowPrivate: true },
      agents: [{ name: "ci-agent", tokenSha256: sha256Hex(agentToken), budget: { perDay: "0.05" } }],
    });
    server = await startHttpServer({ configPath, env: { ...env, X402_PRIVATE_KEY: wallet.privateKey } });
  });
  afterAll(async () => {
    await server?.stop();
    await rig?.stop();
  });

  it("serves an agent that has its token: a paid call settles on-chain within the agent's cap", async () => {
    const client = await connectHttp(server.url, agentToken);
    const before = await rig.balanceOf(rig.payTo);
    const result = await client.call("paid_fetch", { url: `${rig.v2.url}/paid` });
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent).toMatchObject({ status: 200, payment: { amountAtomic: "10000" } });
    expect((await rig.balanceOf(rig.payTo)) - before).toBe(10_000n);
    await client.close();
  });

  it("refuses a request without a token with 401", async () => {
    const res = await fetch(server.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(401);
  });

  it("stops on SIGTERM with exit code 0, having written nothing to stdout", async () => {
    expect(await server.stop()).toBe(0);
    expect(server.stdout()).toBe("");
    expect(server.stderr()).toContain("shutting down");
    expect(server.stderr()).not.toContain(agentToken);
  });

  it.each([
    [["serve", "--port", "8402"], "serve: --host and --port need --http"],
    [["serve", "--http", "--port", "99999"], 'serve: --port "99999" is not a port number'],
    [["serve", "--http", "--port", "eighty"], 'serve: --port "eighty" is not a port number'],
    [["serve", "--frob"], "serve: Unknown option '--frob'"],
  ])("%j exits 1 naming the mistake", async (args, message) => {
    const result = await runCli(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(`x402-wallet-mcp: ${message}`)).toBe(true);
  });

  it("refuses to listen on a non-loopback address when no agents are configured", async () => {
    const config = writeConfig({ networks: ["eip155:84532"], rpc: { "eip155:84532": rig.rpcUrl } });
    const result = await runCli(["serve", "--http", "--host", "0.0.0.0", "--port", "0", "--config", config], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Refusing to listen on 0.0.0.0");
    expect(result.stderr).toContain("x402-wallet-mcp agent add NAME");
  });
});
