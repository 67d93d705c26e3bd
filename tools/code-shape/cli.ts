// Prints the shape of the code: cycles, upward imports, largest files and functions.
import * as path from "node:path";
import { formatCodeShape, measureCodeShape } from "./shape";

const root = path.resolve(__dirname, "..", "..", "..");
measureCodeShape(root, Number(process.argv[2] ?? 8)).then(
  (shape) => process.stdout.write(formatCodeShape(shape)),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
