// How the cost of evaluating the program grows with the system: the real program under Pulumi
// mocks for 10, 50 and 200 services (copies of the reference API), wall time and resources/s.
import * as v8 from "node:v8";
import * as vm from "node:vm";
import { parse as parseYaml, stringify } from "yaml";
import { runProgram } from "../test/support/program";
import { readStackFileText } from "../test/support/stack-files";

export function stackWithServices(stack: string, count: number): string {
  const doc = parseYaml(readStackFileText(stack));
  const services = doc.config["ops-baseline:services"];
  const template = services.api;
  for (let i = 1; i < count; i++) {
    const copy = structuredClone(template);
    for (const port of copy.ports) delete port.hostPort;
    services[`api-${String(i).padStart(3, "0")}`] = copy;
  }
  return stringify(doc);
}

// A full collection before each run, so a run's heap figure is its own and not the garbage of
// the runs before it (the earlier figure, heapUsed after several runs, read about 1 GB for prod).
v8.setFlagsFromString("--expose-gc");
const collect = vm.runInNewContext("gc") as () => void;

export async function main(sizes = [10, 50, 200]): Promise<void> {
  console.log("program evaluation under mocks (wall time, including config validation)");
  console.log("peak heap: sampled every 10 ms during the run, after a full collection before it");
  console.log("stack  services  resources  wall ms  resources/s  peak heap MB");
  for (const stack of ["dev", "prod"]) {
    // One warm-up run so module loading is not counted.
    await runProgram(stack, stackWithServices(stack, 1));
    for (const size of sizes) {
      const text = stackWithServices(stack, size);
      collect();
      let peak = process.memoryUsage().heapUsed;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 10);
      const started = process.hrtime.bigint();
      const run = await runProgram(stack, text);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      clearInterval(sampler);
      const heap = Math.max(peak, process.memoryUsage().heapUsed) / 1024 ** 2;
      console.log(
        `${stack.padEnd(6)} ${String(size).padStart(8)} ${String(run.resources.length).padStart(10)} ${ms
          .toFixed(0)
          .padStart(
            8,
          )} ${((run.resources.length / ms) * 1000).toFixed(0).padStart(12)} ${heap.toFixed(0).padStart(13)}`,
      );
    }
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
