import { VERSION } from "../version.js";

/** The one help text: `--help`, and after every usage error (on stderr). */
export const HELP = `x402-wallet-mcp ${VERSION}: an MCP server that pays x402 APIs within your caps.

Usage:
  x402-wallet-mcp [--config PATH]   start the MCP server on stdio (what an MCP client runs)
  x402-wallet-mcp serve --http [--host H] [--port P]
                                    serve MCP over Streamable HTTP (default 127.0.0.1:8402, config http.listen)
  x402-wallet-mcp agent add NAME [--per-session USD] [--per-day USD]
                                    a bearer token for an HTTP agent (shown once) and its config entry
  x402-wallet-mcp ledger import --from file --to redis [--config PATH]
                                    copy the file ledger into the Redis store of the config (the daily total carries over)
  x402-wallet-mcp ledger reconcile [--since ISO] [--json] [--config PATH]
                                    ask the chain about payments whose outcome is unknown: mark them verified or expired
                                    (an expired one's amount comes back to the caps); warn of transfers no entry explains
  x402-wallet-mcp permit2 approve --network eip155:… --token 0x… [--yes]
                                    the one-time approval a token paid through Permit2 needs (a transaction; shows its gas cost)
  x402-wallet-mcp init [--solana]   create a wallet key file (mode 0600) and print the client config to paste;
                                    an EVM key by default, a Solana key (solana-keygen's JSON format) with --solana
  x402-wallet-mcp doctor            check the config, the keys, each network's RPC (chain id, genesis hash) and balance, and the ledger
  x402-wallet-mcp balance           show the wallet's address, its USDC balances and the budget left
  x402-wallet-mcp receipts          list past payments from the ledger, with totals per day and per host
  x402-wallet-mcp dashboard [--port P]
                                    a live, read-only wallet page on 127.0.0.1; prints its URL (with a token) first

Options:
  --config PATH   JSON config file (or env X402_WALLET_CONFIG); server, doctor, balance, receipts, dashboard, permit2
  --since ISO     receipts: only payments at or after this time (default: the last 30 days)
  --host H        receipts: only payments to this host, or to hosts matching "*.example.com"
  --limit N       receipts: how many payments to list, newest first (default 20, at most 500)
  --json          receipts: print JSON, as the spending_history tool returns it
  --csv           receipts: print the same receipts as CSV (RFC 4180), one row per payment
  --solana        init: make the Solana key (X402_SOLANA_KEY_FILE) instead of the EVM one; run init twice for both
  --port P        dashboard: the 127.0.0.1 port to serve on (default: a free one)
  --http          serve: Streamable HTTP at /mcp instead of stdio
  --host H, --port P
                  serve --http: the address to listen on (default config http.listen)
  --per-session, --per-day USD
                  agent add: that agent's own caps, on top of the wallet's
  --url URL       agent add: the server's MCP URL, for the printed client command
  --network, --token
                  permit2 approve: the network (CAIP-2) and the token's address
  --yes           permit2 approve: send without asking (needed where there is no terminal)
  --help          show this help
  --version       print the version

Environment:
  X402_PRIVATE_KEY     the wallet key (0x + 64 hex); better: X402_KEY_FILE
  X402_KEY_FILE        a file holding the key (mode 0600); init writes it there
                       (default: the user's config directory, e.g. ~/.config/x402-wallet-mcp/key)
  X402_SOLANA_PRIVATE_KEY
                       the Solana key (base58 of the 64-byte secret key); better: X402_SOLANA_KEY_FILE
  X402_SOLANA_KEY_FILE a file holding it (mode 0600; solana-keygen's JSON array or base58); init --solana writes it
                       (default: the user's config directory, e.g. ~/.config/x402-wallet-mcp/solana-key.json)
  X402_WALLET_CONFIG   path of the JSON config file
  X402_MAX_PER_CALL    per-call limit in USD (default 0.10)
  X402_SESSION_BUDGET  per-session limit in USD (default 1.00)
  X402_DAILY_BUDGET    rolling 24 h limit in USD across restarts and processes (default 5.00)
  X402_LEDGER          path of the spending ledger (default: the user's data directory)
  X402_NETWORKS        comma list of CAIP-2 networks (default eip155:8453,eip155:84532)

Exit status: 0 on success; 1 on an error, a failed doctor check, or a usage error.
`;
