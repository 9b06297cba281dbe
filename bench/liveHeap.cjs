// Preloaded by the memory benchmark into one server started with --expose-gc; never part of
// the server itself. On SIGUSR2 it runs a full garbage collection and writes what is still
// alive to stderr (numbered, so each answer is told apart), which tells a leak from garbage
// that V8 has not collected yet.
let reports = 0;
process.on("SIGUSR2", () => {
  global.gc();
  process.stderr.write(`bench-live-heap ${++reports} ${process.memoryUsage().heapUsed}\n`);
});
