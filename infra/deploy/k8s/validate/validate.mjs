// Offline schema validation of Kubernetes manifests, for .ci/deploy-checks (kubectl's own
// validation needs a cluster). Every document of every file given (multi-document YAML, e.g.
// the output of `kubectl kustomize`) is checked against the JSON schema of its kind: the core
// kinds from the Kubernetes OpenAPI spec (npm kubernetes-models), KEDA's ScaledObject from KEDA's
// CRD (npm @kubernetes-models/keda). Fields a schema does not know are errors too (as with
// `kubeconform -strict`), so a misspelt field cannot pass as "allowed extra"; so are unknown or
// malformed parameters of a kafka trigger.
//
//   node validate.mjs FILE...      prints one line per object; exits 1 if any is invalid
import { readFileSync } from "node:fs";
import yaml from "js-yaml";

// apiVersion -> the package path that exports its kinds
function modulePath(apiVersion) {
  if (apiVersion.startsWith("keda.sh/")) return `@kubernetes-models/keda/${apiVersion}`;
  return `kubernetes-models/${apiVersion}`;
}

async function modelFor(apiVersion, kind) {
  let mod;
  try {
    mod = await import(modulePath(apiVersion));
  } catch (e) {
    throw new Error(`no schema for apiVersion ${apiVersion} (${e.code ?? e.message})`);
  }
  const model = mod[kind];
  if (!model) throw new Error(`no schema for kind ${kind} in ${apiVersion}`);
  return model;
}

// The errors (ajv's, with instancePath) of validating data with a model; [] when valid.
function errorsOf(Model, data) {
  try {
    new Model(data).validate();
    return [];
  } catch (e) {
    if (!Array.isArray(e.errors)) throw e;
    return e.errors;
  }
}

const pointer = (key) => String(key).replace(/~/g, "~0").replace(/\//g, "~1");

// The schemas leave additionalProperties open, so an unknown field would pass. A field is known
// if the schema looks at it: putting a value of a wrong type there (a fraction, then a string:
// no schema type admits both) makes validation fail at or under that field. A field where
// neither probe fails is unknown to the schema. (Fields whose schema admits any value, such as
// x-kubernetes-preserve-unknown-fields, would be reported too; none is used here.)
function unknownFields(Model, doc) {
  const unknown = [];
  const visit = (node, path) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => visit(item, `${path}/${i}`));
      return;
    }
    if (node === null || typeof node !== "object") return;
    for (const key of Object.keys(node)) {
      const at = `${path}/${pointer(key)}`;
      const original = node[key];
      let known = false;
      for (const probe of [1.5, "probe"]) {
        node[key] = probe;
        const errors = errorsOf(Model, doc);
        node[key] = original;
        if (errors.some((e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`) || e.instancePath === path)) {
          known = true;
          break;
        }
      }
      if (!known) unknown.push(at);
      visit(original, at);
    }
  };
  visit(doc, "");
  return unknown;
}

// A trigger's metadata is a free-form map in KEDA's CRD (each scaler reads its own keys at run
// time), so the schema cannot catch a misspelt key there. The kafka scaler's parameters, from
// KEDA's documentation of the Apache Kafka scaler (2.x):
const kafkaTrigger = {
  strings: ["bootstrapServers", "consumerGroup", "topic", "partitionLimitation", "version", "sasl",
    "saslTokenProvider", "tls", "awsRegion"],
  integers: ["lagThreshold", "activationLagThreshold"],
  booleans: ["allowIdleConsumers", "scaleToZeroOnInvalidOffset", "excludePersistentLag",
    "limitToPartitionsWithLag", "ensureEvenDistributionOfPartitions", "unsafeSsl"],
  enums: { offsetResetPolicy: ["earliest", "latest"] },
  required: ["bootstrapServers", "consumerGroup"],
};

function triggerErrors(doc) {
  if (doc.kind !== "ScaledObject" && doc.kind !== "ScaledJob") return [];
  const errors = [];
  (doc.spec?.triggers ?? []).forEach((trigger, i) => {
    if (trigger.type !== "kafka") return;
    const md = trigger.metadata ?? {};
    const at = (key) => `spec.triggers[${i}].metadata.${key}`;
    for (const [key, value] of Object.entries(md)) {
      if (kafkaTrigger.strings.includes(key)) continue;
      if (kafkaTrigger.integers.includes(key)) {
        if (!/^[0-9]+$/.test(value)) errors.push(`${at(key)} must be a whole number, but was '${value}'`);
      } else if (kafkaTrigger.booleans.includes(key)) {
        if (!["true", "false"].includes(value)) errors.push(`${at(key)} must be 'true' or 'false', but was '${value}'`);
      } else if (key in kafkaTrigger.enums) {
        if (!kafkaTrigger.enums[key].includes(value)) {
          errors.push(`${at(key)} must be one of ${kafkaTrigger.enums[key].join(", ")}, but was '${value}'`);
        }
      } else {
        errors.push(`${at(key)} is not a parameter of KEDA's kafka scaler`);
      }
    }
    for (const key of kafkaTrigger.required) {
      if (!(key in md) && !trigger.authenticationRef) errors.push(`${at(key)} is required`);
    }
    if (md.allowIdleConsumers === "true" && md.limitToPartitionsWithLag === "true") {
      errors.push(`spec.triggers[${i}]: allowIdleConsumers and limitToPartitionsWithLag cannot both be true`);
    }
  });
  return errors;
}

let failures = 0;
let checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = yaml.loadAll(readFileSync(file, "utf8")).filter((d) => d != null);
  for (const doc of docs) {
    const name = `${doc.kind ?? "?"} ${doc.metadata?.name ?? "?"} (${doc.apiVersion ?? "no apiVersion"}) in ${file}`;
    checked++;
    try {
      if (!doc.apiVersion || !doc.kind) throw new Error("apiVersion and kind are required");
      const Model = await modelFor(doc.apiVersion, doc.kind);
      new Model(doc).validate();
      const unknown = unknownFields(Model, doc).filter((p) => !["/apiVersion", "/kind"].includes(p));
      if (unknown.length > 0) throw new Error(`fields the schema does not know: ${unknown.join(", ")}`);
      const triggers = triggerErrors(doc);
      if (triggers.length > 0) throw new Error(triggers.join("\n"));
      console.log(`ok      ${name}`);
    } catch (e) {
      failures++;
      console.log(`INVALID ${name}\n        ${String(e.message ?? e).replace(/\n/g, "\n        ")}`);
    }
  }
}
console.log(`${checked} objects checked, ${failures} invalid`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
