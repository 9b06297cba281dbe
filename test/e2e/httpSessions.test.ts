import { randomBytes } from "node:crypto";
import { generatePrivateKey } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/server/agentAuth.js";
import { closedPort, tempHome, writeConfig } from "../cli/run.js";
import { connectHttp, startHttpServer, type HttpServerProcess } from "./httpProcess.js";

const token = () => randomBytes(24).toString("base64url");

/** `serve --http` keeps a bounded number of sessions: per agent and overall, with an answer that says what to do. */
describe("serve --http session limits", () => {
  let server: HttpServerProcess;
  const alice = token();
  const bob = token();
  const carol = token();

  beforeAll(async () => {
    const { env } = tempHome();
    const configPath = writeConfig({
      networks: ["eip155:84532"],
      rpc: { "eip155:84532": `http://127.0.0.1:${await closedPort()}` },
      http: { maxSessions: 4, maxSessionsPerAgent: 2 },
      agents: [
        { name: "alice", tokenSha256: sha256Hex(alice) },
        { name: "bob", tokenSha256: sha256Hex(bob) },
        { name: "carol", tokenSha256: sha256Hex(carol) },
      ],
    });
    server = await startHttpServer({ configPath, env: { ...env, X402_PRIVATE_KEY: generatePrivateKey() } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const initialize = (bearer: string, id = 1, accept = "application/json, text/event-stream") =>
    fetch(server.url, {
      method: "POST",
      headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", accept },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "sessions-e2e", version: "1" } },
      }),
    });
  const end = (bearer: string, sessionId: string) =>
    fetch(server.url, { method: "DELETE", headers: { authorization: `Bearer ${bearer}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" } });

  it("refuses an agent's session past http.maxSessionsPerAgent, even when asked for all at once, and a DELETE frees a slot", async () => {
    // An initialize the transport itself refuses starts no session and keeps no slot.
    for (const id of [1, 2, 3]) expect((await initialize(alice, id, "text/html")).status).toBe(406);
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => initialize(alice, i + 1)));
    const opened = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status !== 200);
    expect(opened).toHaveLength(2);
    expect(refused.map((r) => r.status)).toEqual(Array(6).fill(429));
    const body = (await refused[0]!.json()) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
    expect(body.jsonrpc).toBe("2.0");
    expect(body.error.code).toBe(-32000);
    expect(body.error.message).toBe(
      'Agent "alice" already holds 2 open sessions, the most http.maxSessionsPerAgent allows, so no new session was started. ' +
        "Reuse a session you hold (send its Mcp-Session-Id), or end the ones you are done with (HTTP DELETE with their Mcp-Session-Id); " +
        "an unused session closes by itself after 1800 s (http.sessionIdleSeconds). The owner can raise http.maxSessionsPerAgent in the config.",
    );
    await Promise.all(refused.slice(1).map((r) => r.body?.cancel()));

    const ids = opened.map((r) => r.headers.get("mcp-session-id")!);
    await Promise.all(opened.map((r) => r.body?.cancel()));
    expect((await end(alice, ids[0]!)).status).toBe(200);
    const again = await initialize(alice);
    expect(again.status).toBe(200);
    await again.body?.cancel();
    expect(server.stderr()).toContain('refused a new HTTP session for agent "alice": it holds 2 (http.maxSessionsPerAgent)');
  });

  it("refuses any agent's session past http.maxSessions with 503, and says so to an SDK client", async () => {
    // alice holds 2; bob's 2 fill the server's 4.
    for (const id of [1, 2]) {
      const res = await initialize(bob, id);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
    const full = await initialize(carol);
    expect(full.status).toBe(503);
    expect(((await full.json()) as { error: { message: string } }).error.message).toBe(
      "This server already holds 4 open sessions, the most http.maxSessions allows, so no new session was started. " +
        "Reuse a session you hold (send its Mcp-Session-Id), or end the ones you are done with (HTTP DELETE with their Mcp-Session-Id); " +
        "an unused session closes by itself after 1800 s (http.sessionIdleSeconds). The owner can raise http.maxSessions in the config.",
    );
    await expect(connectHttp(server.url, carol)).rejects.toThrow(/already holds 4 open sessions, the most http\.maxSessions allows/);
    expect(server.stderr()).toContain('refused a new HTTP session for agent "carol": the server holds 4 (http.maxSessions)');
  });

  it("still serves the sessions already open", async () => {
    const res = await fetch(server.url.replace("/mcp", "/healthz"));
    expect(res.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });
});
