import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileBudgetStore } from "../../src/budget/fileStore.js";
import { describeBudgetStoreContract } from "./storeContract.js";

const quiet = { log: () => undefined };

describeBudgetStoreContract("FileBudgetStore", async () => {
  const path = join(mkdtempSync(join(tmpdir(), "x402-ledger-")), "ledger.jsonl");
  return { open: (now) => FileBudgetStore.open(path, quiet, now) };
});
