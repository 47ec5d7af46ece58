/**
 * Loads the anomaly model (`anomaly.onnx` and its `anomaly.json` beside it)
 * and checks it can run, so a missing or corrupt file is a clear error at
 * start rather than a failure later.
 *
 * @example
 * ```ts ignore
 * const m = await loadModel(DEFAULT_MODEL);
 * console.log(m.meta.threshold);
 * ```
 * @module
 */
import * as ort from "onnxruntime-node";
import { FEATURES } from "./features.ts";
import type { ModelMeta } from "./train.ts";

/** The committed model. */
export const DEFAULT_MODEL = new URL("./model/anomaly.onnx", import.meta.url).pathname;

/** The model cannot be used. */
export class ModelError extends Error {
  override name = "ModelError";
}

/** A loaded, checked model. */
export interface LoadedModel {
  bytes: Uint8Array;
  meta: ModelMeta;
}

/** Reads and checks the model; throws ModelError with what to do. */
export async function loadModel(path: string): Promise<LoadedModel> {
  const fix = "retrain it with 'deno task train' or pass --model FILE (or --no-model)";
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ModelError(`anomaly model ${path} cannot be read (${(e as Error).message}); ${fix}`);
  }
  const metaPath = path.replace(/\.onnx$/, "") + ".json";
  let meta: ModelMeta;
  try {
    meta = JSON.parse(await Deno.readTextFile(metaPath));
    if (typeof meta.threshold !== "number" || meta.features?.length !== FEATURES) {
      throw new Error("bad fields");
    }
  } catch (e) {
    throw new ModelError(
      `anomaly model metadata ${metaPath} is missing or invalid (${(e as Error).message}); ${fix}`,
    );
  }
  try {
    const s = await ort.InferenceSession.create(bytes);
    const out = await s.run({
      features: new ort.Tensor("float32", new Float32Array(FEATURES), [1, FEATURES]),
    });
    if (!out.score || (out.score.data as Float32Array).length !== 1) {
      throw new Error("no 'score' output of one value");
    }
  } catch (e) {
    throw new ModelError(
      `anomaly model ${path} is corrupt or not a tickwire model (${(e as Error).message}); ${fix}`,
    );
  }
  return { bytes, meta };
}
