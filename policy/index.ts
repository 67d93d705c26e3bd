// The ops-baseline policy pack, run by previews: `pulumi preview --policy-pack policy`.
// Every rule lives in ./rules.ts as a plain function; this file only registers them.
import { PolicyPack, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { RESOURCE_POLICIES, STACK_POLICIES } from "./rules";

const resourcePolicies: ResourceValidationPolicy[] = Object.entries(RESOURCE_POLICIES).map(([name, p]) => ({
  name,
  description: p.description,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const problem of p.check({ type: args.type, name: args.name, props: args.props })) reportViolation(problem);
  },
}));

const stackPolicies: StackValidationPolicy[] = Object.entries(STACK_POLICIES).map(([name, p]) => ({
  name,
  description: p.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const resources = args.resources.map((r) => ({ type: r.type, name: r.name, props: r.props }));
    for (const problem of p.check(resources)) reportViolation(problem);
  },
}));

new PolicyPack("ops-baseline", { policies: [...resourcePolicies, ...stackPolicies] });
