// One component per workload or job, so `pulumi preview` shows each as a subtree of its target.
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadRole } from "../workloads/model";

export class WorkloadGroup extends pulumi.ComponentResource {
  constructor(kind: "workload" | "job", role: WorkloadRole, name: string, opts: pulumi.ComponentResourceOptions) {
    super(`ops-baseline:${kind}:${role}`, name, {}, opts);
  }

  /** Call once every child is registered. */
  complete(outputs: pulumi.Inputs = {}): void {
    this.registerOutputs(outputs);
  }
}
