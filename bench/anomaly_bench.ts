/**
 * Anomaly scoring throughput with onnxruntime by batch size (1 to 4096
 * rows per call), against the single-row call as the baseline; rows/s is
 * batch / time. The added latency per tick at the default batching is at
 * most --batch-wait (20 ms) plus one call, as the report in the README says.
 * @module
 */
import * as ort from "onnxruntime-node";
import { DEFAULT_MODEL, loadModel } from "../src/anomaly/model.ts";
import { FEATURES } from "../src/anomaly/features.ts";

const model = await loadModel(DEFAULT_MODEL);
const session = await ort.InferenceSession.create(model.bytes);
const rows = new Float32Array(4096 * FEATURES).map((_, i) => Math.sin(i) * 2);

for (const batch of [1, 16, 64, 256, 1024, 4096]) {
  const input = new ort.Tensor("float32", rows.subarray(0, batch * FEATURES), [batch, FEATURES]);
  Deno.bench({
    name: `score ${batch} row${batch > 1 ? "s" : ""} per call`,
    group: "scoring",
    baseline: batch === 1,
    n: batch >= 1024 ? 200 : 2000,
    async fn() {
      await session.run({ features: input });
    },
  });
}
