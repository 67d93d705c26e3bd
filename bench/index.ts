// `npm run bench`: every benchmark of the project, one after another, printing figures.
import { main as alertLatency } from "./alert-latency";
import { main as backupBench } from "./backup";
import { main as logPipelineBench } from "./log-pipeline";
import { main as pitrBench } from "./pitr";
import { main as programBench } from "./program";

async function run(): Promise<void> {
  await programBench();
  alertLatency();
  await logPipelineBench();
  const i = process.argv.indexOf("--backup-mb");
  await backupBench(i > 0 ? Number(process.argv[i + 1]) : 1024);
  await pitrBench(i > 0 ? Number(process.argv[i + 1]) : 1024);
}

run().catch((e) => {
  console.error(e);
  process.exit(1);
});
