/**
 * Writes the anomaly model as an ONNX file with `npm:onnx-proto`: a small
 * autoencoder whose output is the anomaly score of each row, the mean
 * squared reconstruction error of the standardised features.
 *
 *   x[N,8] -> (x - mean) / std = z -> tanh(z W1 + b1) W2 + b2 = r
 *          -> mean((r - z)^2, axis 1) = score[N]
 *
 * @example
 * ```ts
 * import { autoencoderOnnx } from "./onnx.ts";
 * const bytes = autoencoderOnnx({
 *   mean: new Float32Array(8), std: new Float32Array(8).fill(1), hidden: 2,
 *   w1: new Float32Array(16), b1: new Float32Array(2), w2: new Float32Array(16), b2: new Float32Array(8),
 * });
 * console.log(bytes.length > 0); // true
 * ```
 * @module
 */
import onnxProto from "onnx-proto";
import { FEATURES } from "./features.ts";

// deno-lint-ignore no-explicit-any
const { onnx } = onnxProto as any;

/** Trained parameters. */
export interface AutoencoderParams {
  mean: Float32Array;
  std: Float32Array;
  hidden: number;
  /** [FEATURES x hidden], row-major */
  w1: Float32Array;
  b1: Float32Array;
  /** [hidden x FEATURES], row-major */
  w2: Float32Array;
  b2: Float32Array;
}

function tensor(name: string, dims: number[], data: Float32Array | number[]) {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    floatData: Array.from(data),
  });
}

function valueInfo(name: string, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            onnx.TensorShapeProto.Dimension.create(
              typeof d === "string" ? { dimParam: d } : { dimValue: d },
            )
          ),
        }),
      }),
    }),
  });
}

function node(op: string, inputs: string[], outputs: string[], attrs: unknown[] = []) {
  return onnx.NodeProto.create({ opType: op, input: inputs, output: outputs, attribute: attrs });
}

/** The ONNX bytes of the autoencoder scorer (opset 13). */
export function autoencoderOnnx(p: AutoencoderParams): Uint8Array {
  const H = p.hidden;
  const graph = onnx.GraphProto.create({
    name: "tickwire_anomaly",
    node: [
      node("Sub", ["features", "mean"], ["centred"]),
      node("Div", ["centred", "std"], ["z"]),
      node("MatMul", ["z", "w1"], ["h0"]),
      node("Add", ["h0", "b1"], ["h1"]),
      node("Tanh", ["h1"], ["h"]),
      node("MatMul", ["h", "w2"], ["r0"]),
      node("Add", ["r0", "b2"], ["r"]),
      node("Sub", ["r", "z"], ["d"]),
      node("Mul", ["d", "d"], ["d2"]),
      node("ReduceMean", ["d2"], ["score"], [
        onnx.AttributeProto.create({
          name: "axes",
          type: onnx.AttributeProto.AttributeType.INTS,
          ints: [1],
        }),
        onnx.AttributeProto.create({
          name: "keepdims",
          type: onnx.AttributeProto.AttributeType.INT,
          i: 0,
        }),
      ]),
    ],
    initializer: [
      tensor("mean", [FEATURES], p.mean),
      tensor("std", [FEATURES], p.std),
      tensor("w1", [FEATURES, H], p.w1),
      tensor("b1", [H], p.b1),
      tensor("w2", [H, FEATURES], p.w2),
      tensor("b2", [FEATURES], p.b2),
    ],
    input: [valueInfo("features", ["N", FEATURES])],
    output: [valueInfo("score", ["N"])],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "tickwire",
    producerVersion: "1",
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
