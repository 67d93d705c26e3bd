// `npm run bench`: every benchmark of the project, one after another, printing figures.
import { main as alertLatency } from "./alert-latency";
import { main as programBench } from "./program";

async function run(): Promise<void> {
  await programBench();
  alertLatency();
}

run().catch((e) => {
  console.error(e);
  process.exit(1);
});
